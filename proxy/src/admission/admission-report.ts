import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { AdmissionController } from './admission-controller.js';
import { priorityLabel } from './admission-metrics.js';
import type { TenantUsage } from './tenant-ledger.js';

export interface ModelAdmissionView {
  model: string;
  queued: number;
  queued_batch: number;
  by_priority: Array<{ priority: string; size: number }>;
  admitted: number;
  admitted_after_waiting: number;
  /** Queue waits of the last admitted requests (up to 512), ms. */
  wait_ms: { p50: number; p99: number; max: number } | null;
  rejected: Array<{ reason: string; count: number }>;
}

/** The `admission` section of GET /stats: settings in force, queues per model, tenants. */
export interface AdmissionReport {
  queueing: boolean;
  settings: {
    max_concurrency_per_engine: number;
    max_engine_waiting: number | null;
    max_engine_kv_usage: number | null;
    queue_max_size: number;
    queue_timeout_seconds: number;
    affinity_max_wait_ms: number;
    rate_limit_rpm: number;
    rate_limit_tpm: number;
  };
  models: ModelAdmissionView[];
  tenants: TenantUsage[];
}

/** The `admission` fields of one engine in GET /engines. */
export interface EngineAdmissionView {
  in_flight: number;
  max_concurrency: number | null;
  has_room: boolean;
  saturated_by?: string;
  estimated_waiting?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function admissionReport(admission: AdmissionController): AdmissionReport {
  const s = admission.settings;
  const labels = admission.metricsPriorities;
  const models: ModelAdmissionView[] = [];
  for (const q of admission.queuesOf().values()) {
    const waits = [...q.recentWaitsMs].sort((a, b) => a - b);
    models.push({
      model: q.model,
      queued: q.waiting.sizeOf('interactive'),
      queued_batch: q.waiting.sizeOf('batch'),
      by_priority: q.waiting.depths().map((d) => ({ priority: priorityLabel(labels, d.trafficClass, d.priority), size: d.size })),
      admitted: q.counts.admitted,
      admitted_after_waiting: q.counts.admittedAfterWaiting,
      wait_ms: waits.length ? { p50: round(percentile(waits, 0.5)), p99: round(percentile(waits, 0.99)), max: round(waits.at(-1)!) } : null,
      rejected: [...q.counts.rejected].map(([reason, count]) => ({ reason, count })),
    });
  }
  return {
    queueing: admission.queueing,
    settings: {
      max_concurrency_per_engine: s.maxConcurrencyPerEngine,
      max_engine_waiting: s.maxEngineWaiting ?? null,
      max_engine_kv_usage: s.maxEngineKvUsage ?? null,
      queue_max_size: s.queueMaxSize,
      queue_timeout_seconds: s.queueTimeoutSeconds,
      affinity_max_wait_ms: s.affinityMaxWaitMs,
      rate_limit_rpm: s.rateLimitRpm,
      rate_limit_tpm: s.rateLimitTpm,
    },
    models,
    tenants: admission.ledger.rows(),
  };
}

export function engineAdmission(admission: AdmissionController, engine: EngineEntry): EngineAdmissionView {
  const status = admission.engineStatus(engine.id);
  const max = admission.settings.maxConcurrencyPerEngine;
  return {
    in_flight: status.inFlight,
    max_concurrency: max > 0 ? max : null,
    has_room: status.room,
    ...(status.reason ? { saturated_by: status.reason } : {}),
    ...(status.estimatedWaiting !== undefined ? { estimated_waiting: status.estimatedWaiting } : {}),
  };
}

/** Engines that take no new request now, for the vllm_router_engine_saturated gauge. */
export function saturatedEngines(admission: AdmissionController, engines: readonly EngineEntry[]): Array<{ server: string; reason: string }> {
  if (!admission.queueing) return [];
  const out: Array<{ server: string; reason: string }> = [];
  for (const e of engines) {
    const status = admission.engineStatus(e.id);
    if (status.reason) out.push({ server: e.url, reason: status.reason });
  }
  return out;
}
