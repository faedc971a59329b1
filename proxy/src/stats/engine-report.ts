import type { EngineHealth } from '../health/health-checker.js';
import type { OutlierView } from '../health/outlier-detector.js';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { RequestStatsView } from './request-stats.js';
import type { EngineStatsView, StatsService } from './stats-service.js';

/** Where an engine's health comes from: the static health checker when it runs. */
export interface HealthSource {
  engineHealth(engineId: string): EngineHealth;
}

/** What decides whether routing uses an engine (see EngineAvailability), and its outlier state. */
export interface RoutingStateSource {
  whyOut(engine: EngineEntry): string | undefined;
  outlier?(engineId: string): OutlierView;
}

export interface EngineHealthView extends EngineHealth {
  /** False when health checks are off (the table's readiness alone decides). */
  checked: boolean;
}

/** One engine in /stats (and the stats fields of /engines). */
export interface EngineReport {
  engine_id: string;
  url: string;
  serving_models: string[];
  ready: boolean;
  /** Ready, not ejected, and every model passing its health check. */
  healthy: boolean;
  /** Why routing sends it nothing at all, when it doesn't (no model routable). */
  out_of_routing?: string;
  health: EngineHealthView;
  /** Passive outlier detection's view (absent when it is off). */
  outlier?: OutlierView;
  requests: RequestStatsView;
  engine: EngineStatsView;
}

export interface ReportSources {
  stats: StatsService;
  health?: HealthSource | undefined;
  routing?: RoutingStateSource | undefined;
}

export function engineHealthView(engine: EngineEntry, health: HealthSource | undefined): EngineHealthView {
  if (!health) return { checked: false, healthy: true, checks: [] };
  return { checked: true, ...health.engineHealth(engine.id) };
}

export function engineReport(engine: EngineEntry, sources: ReportSources): EngineReport {
  const h = engineHealthView(engine, sources.health);
  const out = sources.routing ? sources.routing.whyOut(engine) : !engine.ready ? 'not ready in the routing table' : undefined;
  const outlier = sources.routing?.outlier?.(engine.id);
  return {
    engine_id: engine.id,
    url: engine.url,
    serving_models: engine.models,
    ready: engine.ready,
    healthy: engine.ready && !outlier?.ejected && h.healthy,
    ...(out !== undefined ? { out_of_routing: out } : {}),
    health: h,
    ...(outlier ? { outlier } : {}),
    requests: sources.stats.requests.view(engine.id),
    engine: sources.stats.engineView(engine.id),
  };
}

/** GET /stats: every engine of the table in force. */
export function statsReport(engines: readonly EngineEntry[], sources: ReportSources) {
  return {
    window_seconds: sources.stats.requests.windowSeconds,
    engines: engines.map((e) => engineReport(e, sources)),
  };
}
