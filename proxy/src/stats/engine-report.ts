import type { EngineHealth } from '../health/health-checker.js';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { RequestStatsView } from './request-stats.js';
import type { EngineStatsView, StatsService } from './stats-service.js';

/** Where an engine's health comes from: the static health checker when it runs. */
export interface HealthSource {
  engineHealth(engineId: string): EngineHealth;
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
  /** Routed to: ready and every model healthy. */
  healthy: boolean;
  health: EngineHealthView;
  requests: RequestStatsView;
  engine: EngineStatsView;
}

export function engineHealthView(engine: EngineEntry, health: HealthSource | undefined): EngineHealthView {
  if (!health) return { checked: false, healthy: true, checks: [] };
  return { checked: true, ...health.engineHealth(engine.id) };
}

export function engineReport(engine: EngineEntry, stats: StatsService, health: HealthSource | undefined): EngineReport {
  const h = engineHealthView(engine, health);
  return {
    engine_id: engine.id,
    url: engine.url,
    serving_models: engine.models,
    ready: engine.ready,
    healthy: engine.ready && h.healthy,
    health: h,
    requests: stats.requests.view(engine.id),
    engine: stats.engineView(engine.id),
  };
}

/** GET /stats: every engine of the table in force. */
export function statsReport(engines: readonly EngineEntry[], stats: StatsService, health: HealthSource | undefined) {
  return {
    window_seconds: stats.requests.windowSeconds,
    engines: engines.map((e) => engineReport(e, stats, health)),
  };
}
