import { finalizeTable, ProxyMetrics, RouterApp, silentLogger, type Logger, type ModelType, type RouterAppSettings, type RoutingLogic } from '@vllm-router/proxy';

export interface StatsEngine {
  url: string;
  models: string[];
  id?: string;
}

export interface StatsRouterSpec {
  engines: StatsEngine[];
  routingLogic?: RoutingLogic;
  modelTypes?: Record<string, ModelType>;
  logger?: Logger;
}

export interface StatsRouter {
  app: RouterApp;
  url: string;
  baseURL: string;
  close(): Promise<void>;
}

/**
 * The proxy in-process on a loopback port, with statistics and health-check settings (and model
 * types, which test/helpers/router.ts tables leave empty).
 */
export async function startStatsRouter(spec: StatsRouterSpec, settings: Partial<RouterAppSettings> = {}): Promise<StatsRouter> {
  const app = new RouterApp(
    {
      host: '127.0.0.1',
      port: 0,
      rootPath: '',
      apiKeys: [],
      maxBodyBytes: 32 * 1024 * 1024,
      connectTimeoutMs: 1000,
      firstByteTimeoutMs: 10_000,
      maxInstanceFailoverRerouteAttempts: 2,
      ...settings,
    },
    { logger: spec.logger ?? silentLogger(), metrics: new ProxyMetrics() },
  );
  const table = finalizeTable({
    source: 'static',
    routingLogic: spec.routingLogic ?? 'roundrobin',
    engines: spec.engines.map((e) => ({ id: e.id ?? e.url, url: e.url, models: e.models, backendKind: 'vllm', labels: {}, ready: true })),
    aliases: {},
    modelTypes: spec.modelTypes ?? {},
  });
  if (!app.applyTable(table, 'static')) throw new Error(`test table refused: ${JSON.stringify(app.healthReport())}`);
  const { port } = await app.listen();
  const url = `http://127.0.0.1:${port}`;
  return { app, url, baseURL: `${url}/v1`, close: async () => void (await app.stop(1000)) };
}
