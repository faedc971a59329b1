import type { RoutingCore } from '../../routing/routing-core.js';
import type { ProxyMetrics } from '../../metrics/proxy-metrics.js';
import type { HealthReport } from '../../app/health-report.js';
import { sendJson } from '../errors.js';
import type { Route } from '../route.js';
import { VERSION } from '../../version.js';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { EngineReport } from '../../stats/engine-report.js';

export interface InfoRouteDeps {
  core: RoutingCore;
  metrics: ProxyMetrics;
  health: () => HealthReport;
  startedAt: number;
  /** Per-engine statistics and health (GET /stats, and the extra fields of GET /engines). */
  engineReport?: (engine: EngineEntry) => EngineReport;
  statsReport?: () => unknown;
}

/** GET /v1/models: every served model once, then each alias pointing at its model. */
function listModels(deps: InfoRouteDeps) {
  const snapshot = deps.core.snapshot;
  const created = Math.floor(deps.startedAt / 1000);
  if (!snapshot) return { object: 'list', data: [] };
  const models = snapshot.models().map((id) => ({
    id,
    object: 'model',
    created,
    owned_by: 'vllm-router',
    root: id,
    parent: null,
  }));
  const aliases = snapshot.aliasEntries()
    .filter(([, target]) => snapshot.enginesServing(target).length > 0)
    .map(([alias, target]) => ({ id: alias, object: 'model', created, owned_by: 'vllm-router', root: target, parent: target }));
  return { object: 'list', data: [...models, ...aliases] };
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
      healthy: e.models.every((m) => deps.core.health.isHealthy(e.id, m)),
      in_flight: deps.core.load.get(e.id),
      ...(report ? { health: report.health, stats: { requests: report.requests, engine: report.engine } } : {}),
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
        sendJson(res, report.status === 'healthy' ? 200 : 503, report);
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
