import { RouterApp, ProxyMetrics, type RouterAppSettings } from '@vllm-router/proxy';
import { silentLogger, finalizeTable, type BackendKind, type EngineEntry, type EngineRole, type Logger, type ModelType, type PrefixParams, type RoutingLogic, type RoutingTable, type RoutingTableDraft } from '@vllm-router/common';

/** An engine for a test table: a running simulator (or any URL) and what it serves. */
export interface TestEngine {
  url: string;
  models: string[];
  id?: string;
  backendKind?: BackendKind;
  ready?: boolean;
  /** Disaggregated prefill: the engine's role. */
  role?: EngineRole;
  /** The engine runs with --scheduling-policy priority (the router forwards priorities to it). */
  priorityScheduling?: boolean;
}

export interface TableSpec {
  engines: TestEngine[];
  routingLogic?: RoutingLogic;
  sessionKey?: string;
  aliases?: Record<string, string>;
  modelTypes?: Record<string, ModelType>;
  /** Prefix-aware routing parameters. */
  prefix?: Partial<PrefixParams>;
  /** Where the router logs; silent by default. */
  logger?: Logger;
}

/** A routing table built the way config sources build them (named builder, so tests read as specs). */
export function tableOf(spec: TableSpec): RoutingTable {
  const engines: EngineEntry[] = spec.engines.map((e) => ({
    id: e.id ?? e.url,
    url: e.url,
    models: e.models,
    backendKind: e.backendKind ?? 'vllm',
    labels: {},
    ready: e.ready ?? true,
    ...(e.role ? { role: e.role } : {}),
    ...(e.priorityScheduling ? { priorityScheduling: true } : {}),
  }));
  const draft: RoutingTableDraft = {
    source: 'static',
    routingLogic: spec.routingLogic ?? 'roundrobin',
    ...(spec.sessionKey ? { sessionKey: spec.sessionKey } : {}),
    engines,
    aliases: spec.aliases ?? {},
    modelTypes: spec.modelTypes ?? {},
    ...(spec.prefix ? { prefix: spec.prefix } : {}),
  };
  return finalizeTable(draft);
}

export interface RunningRouter {
  app: RouterApp;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Base URL for OpenAI SDKs. */
  baseURL: string;
  close(): Promise<void>;
}

/** Starts the proxy in-process on an ephemeral loopback port with the given table. */
export async function startRouter(spec: TableSpec, settings: Partial<RouterAppSettings> = {}): Promise<RunningRouter> {
  const app = new RouterApp(
    {
      host: '127.0.0.1',
      port: 0,
      rootPath: '',
      apiKeys: [],
      maxBodyBytes: 32 * 1024 * 1024,
      connectTimeoutMs: 2000,
      firstByteTimeoutMs: 10_000,
      maxInstanceFailoverRerouteAttempts: 2,
      ...settings,
    },
    { logger: spec.logger ?? silentLogger(), metrics: new ProxyMetrics() },
  );
  if (!app.applyTable(tableOf(spec), 'static')) throw new Error(`test table refused: ${JSON.stringify(app.healthReport())}`);
  const { port } = await app.listen();
  const url = `http://127.0.0.1:${port}`;
  return { app, url, baseURL: `${url}/v1`, close: async () => void (await app.stop(1000)) };
}
