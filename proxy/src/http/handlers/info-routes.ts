import type { RoutingCore } from '../../routing/routing-core.js';
import type { ProxyMetrics } from '../../metrics/proxy-metrics.js';
import type { HealthReport } from '../../app/health-report.js';
import { sendJson } from '../errors.js';
import type { Route } from '../route.js';
import { VERSION } from '../../version.js';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { EngineReport } from '../../stats/engine-report.js';
import type { ModelCardCache } from '../../models/model-cards.js';
import { listModels as mergeModelList } from '../../models/model-list.js';
import type { EngineAvailability } from '../../routing/availability.js';

export interface InfoRouteDeps {
  core: RoutingCore;
  metrics: ProxyMetrics;
  health: () => HealthReport;
  startedAt: number;
  /** Per-engine statistics and health (GET /stats, and the extra fields of GET /engines). */
  engineReport?: (engine: EngineEntry) => EngineReport;
  statsReport?: () => unknown;
  /** The engines' own model cards; without them the router makes cards up. */
  modelCards?: Pick<ModelCardCache, 'cards'>;
  availability?: Pick<EngineAvailability, 'isRoutable'>;
  /** Engines put to sleep through the router. */
  sleep?: { isSleeping(engineId: string): boolean };
  /** More fields for one engine in GET /engines (admission control's view of it). */
  engineExtras?: (engine: EngineEntry) => Record<string, unknown>;
}

/** GET /v1/models: every served model once with its engines' card, then each alias (see listModels). */
function listModels(deps: InfoRouteDeps) {
  const snapshot = deps.core.snapshot;
  if (!snapshot) return { object: 'list', data: [] };
  return mergeModelList(snapshot, {
    cardsOf: (id) => deps.modelCards?.cards(id) ?? [],
    isRoutable: (engine, model) => deps.availability?.isRoutable(engine, model) ?? engine.ready,
    created: Math.floor(deps.startedAt / 1000),
  });
}

/** GET /engines: what the router routes to, in the reference's shape plus our fields. */
function listEngines(deps: InfoRouteDeps) {
  const snapshot = deps.core.snapshot;
  const created = Math.floor(deps.startedAt / 1000);
  return (snapshot?.table.engines ?? []).map((e) => {
    const report = deps.engineReport?.(e);
    return {
      engine_id: e.id,
      url: e.url,
      serving_models: e.models,
      created,
      backend_kind: e.backendKind,
      ready: e.ready,
      labels: e.labels,
      ...(e.role ? { role: e.role } : {}),
      healthy: e.models.every((m) => deps.core.health.isHealthy(e.id, m)),
      ...(report?.out_of_routing !== undefined ? { out_of_routing: report.out_of_routing } : {}),
      sleeping: deps.sleep?.isSleeping(e.id) ?? false,
      in_flight: deps.core.load.get(e.id),
      ...(report
        ? { health: report.health, ...(report.outlier ? { outlier: report.outlier } : {}), stats: { requests: report.requests, engine: report.engine } }
        : {}),
      ...deps.engineExtras?.(e),
    };
  });
}

/** GET /stats: per engine, request statistics measured here, metrics scraped from it, and health. */
function statsRoute(report: () => unknown): Route {
  return { method: 'GET', path: '/stats', handler: async (_req, res) => sendJson(res, 200, report()) };
}

export function infoRoutes(deps: InfoRouteDeps): Route[] {
  return [
    { method: 'GET', path: '/v1/models', handler: async (_req, res) => sendJson(res, 200, listModels(deps)) },
    { method: 'GET', path: '/engines', handler: async (_req, res) => sendJson(res, 200, listEngines(deps)) },
    ...(deps.statsReport ? [statsRoute(deps.statsReport)] : []),
    {
      method: 'GET',
      path: '/health',
      handler: async (_req, res) => {
        const report = deps.health();
        sendJson(res, report.status === 'unhealthy' ? 503 : 200, report);
      },
    },
    { method: 'GET', path: '/version', handler: async (_req, res) => sendJson(res, 200, { version: VERSION }) },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const text = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(text);
      },
    },
  ];
}
