/**
 * Overload control: rate limits per tenant, a queue per model ordered by class, priority and tenant
 * fair share, engines with room (concurrency and saturation), and priority forwarding to engines.
 * How other flows use it: see AdmissionController.send and EngineGate.
 */
import type { Registry } from 'prom-client';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { AdmissionOptions } from '../config/admission-settings.js';
import { ADMISSION_SETTINGS } from '../config/admission-settings.js';
import { AdmissionController, type AdmissionCore } from './admission-controller.js';
import { AdmissionMetrics } from './admission-metrics.js';
import { saturatedEngines } from './admission-report.js';
import type { EngineLoadSignal } from './engine-room.js';

export { AdmissionController, type AdmissionCore, type Admitted, type RequestIdentity } from './admission-controller.js';
export type { AdmissionRequest, Dispatch } from './model-queue.js';
export { admissionReport, engineAdmission } from './admission-report.js';
export { priorityBodies } from './priority-body.js';
export type { TrafficClass } from './fair-queue.js';

/** Every admission setting, defaults filled in for those not given (embedders and tests give few). */
export function admissionOptions(partial: Partial<AdmissionOptions>): AdmissionOptions {
  const out: Partial<Record<keyof AdmissionOptions, unknown>> = {};
  for (const key of Object.keys(ADMISSION_SETTINGS) as (keyof AdmissionOptions)[]) {
    const value = partial[key] ?? ADMISSION_SETTINGS[key].default;
    if (value !== undefined) out[key] = value;
  }
  return out as AdmissionOptions;
}

export interface AdmissionWiring {
  registry: Registry;
  core: AdmissionCore;
  apiKeys: readonly string[];
  signals?: (engineId: string) => EngineLoadSignal | undefined;
  /** The engines of the table in force, for the saturation gauge. */
  engines: () => readonly EngineEntry[];
}

/** The controller with its metrics registered. */
export function createAdmission(settings: AdmissionOptions, wiring: AdmissionWiring): AdmissionController {
  // The gauges read the controller when /metrics is scraped; it exists by then.
  const holder: { controller?: AdmissionController } = {};
  const metrics = new AdmissionMetrics(
    wiring.registry,
    { depths: () => holder.controller?.depths() ?? [], saturation: () => (holder.controller ? saturatedEngines(holder.controller, wiring.engines()) : []) },
    Object.keys(settings.tenantWeights),
  );
  holder.controller = new AdmissionController(settings, { core: wiring.core, metrics, apiKeys: wiring.apiKeys, ...(wiring.signals ? { signals: wiring.signals } : {}) });
  return holder.controller;
}
