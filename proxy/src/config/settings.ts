import { BACKEND_KINDS, MODEL_TYPES, ROUTING_LOGICS } from '@vllm-router/common/routing-table';
import { ADMISSION_SETTINGS } from './admission-settings.js';
import { DEFAULT_CLIENT_LIMITS } from '../http/client-guard.js';
import { ConfigError } from './errors.js';
import type { LogLevel, ProxyOptions } from './options.js';
import {
  aliases,
  bool,
  choice,
  featureGates,
  httpUrl,
  int,
  list,
  namespacedName,
  number,
  rootPath,
  text,
  type ValueParser,
} from './value-parsers.js';

/** How one ProxyOptions field is described, defaulted and parsed, for flags and dynamic config alike. */
export interface Setting<T> {
  group: string;
  describe: string;
  parse: ValueParser<T>;
  /** Used when no source sets the field; fields without one stay undefined (or are required). */
  default?: T;
  /** Must be on the command line (the reference exits without it). */
  required?: boolean;
  /** Shapes the flag in yargs: booleans take no value, the rest take exactly one. */
  flagType: 'boolean' | 'value';
  /** Keep the value out of error messages. */
  secret?: boolean;
}

/**
 * Every ProxyOptions field must appear here, so flags and dynamic config cannot drift apart.
 * (Mapped over Required<> so that indexing with a generic key keeps that field's own type.)
 */
export type SettingTable = { [K in keyof Required<ProxyOptions>]: Setting<Required<ProxyOptions>[K]> };

const MAX_TIMER_MS = 2_147_483_647; // setTimeout's ceiling
const MiB = 1024 * 1024;
const positive = number({ min: 0, exclusiveMin: true });
const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const satisfies readonly LogLevel[];

const G = {
  server: 'Server',
  discovery: 'Service discovery',
  static: 'Static backends',
  k8s: 'Kubernetes discovery',
  routing: 'Routing',
  outliers: 'Outlier detection',
  stats: 'Statistics',
  dynamic: 'Dynamic config (one file, JSON or YAML; reloaded on change)',
  logging: 'Logging',
  auth: 'Authentication',
  limits: 'Limits and timeouts',
  batch: 'Batch and files API',
  telemetry: 'Telemetry',
  hooks: 'Request hooks',
};

const value = 'value' as const;

export const SETTINGS: SettingTable = {
  host: { group: G.server, flagType: value, describe: 'Address to listen on.', parse: text(), default: '0.0.0.0' },
  port: { group: G.server, flagType: value, describe: 'Port to listen on.', parse: int(0, 65535), default: 8001 },
  rootPath: { group: G.server, flagType: value, describe: 'Path prefix the router is served under behind a proxy (e.g. /llm).', parse: rootPath(), default: '' },

  serviceDiscovery: {
    group: G.discovery, flagType: value, required: true,
    describe:
      'Where engines come from: static (the --static-* flags), k8s (watch pods), configmap (the operator\'s routing table), or external-only (only --external-providers-config). Required unless a dynamic config file or --external-providers-config gives it.',
    parse: choice(['static', 'k8s', 'configmap', 'external-only'] as const),
  },
  externalProvidersConfig: {
    group: G.discovery, flagType: value,
    describe: 'YAML file naming OpenAI-compatible upstreams (base URL, API key, models) routed like engines; read at startup.',
    parse: text(),
  },
  routingConfigmap: { group: G.discovery, flagType: value, describe: 'ConfigMap holding the routing table, as <namespace>/<name> (configmap discovery).', parse: namespacedName() },
  routingFile: { group: G.discovery, flagType: value, describe: 'Mounted routing table file, followed across ConfigMap updates (configmap discovery).', parse: text() },

  staticBackends: { group: G.static, flagType: value, describe: 'Engine URLs, comma-separated (e.g. http://10.0.0.1:8000,http://10.0.0.2:8000).', parse: list(httpUrl()), default: [] },
  staticModels: { group: G.static, flagType: value, describe: 'Model served by each backend, comma-separated, one per backend in the same order.', parse: list(text()), default: [] },
  staticAliases: { group: G.static, flagType: value, describe: 'Model aliases, comma-separated alias:model pairs (e.g. gpt4:meta-llama/Llama-3.1-8B-Instruct).', parse: aliases(), default: {} },
  staticModelTypes: {
    group: G.static, flagType: value, describe: `Type of each backend's model, one per backend (${MODEL_TYPES.join(', ')}); needed by health checks.`,
    parse: list(choice(MODEL_TYPES)), default: [],
  },
  staticModelLabels: { group: G.static, flagType: value, describe: 'Label of each backend\'s model, one per backend (e.g. prefill,decode for disaggregated prefill); may be empty.', parse: list(text({ allowEmpty: true })), default: [] },
  staticBackendKinds: {
    group: G.static, flagType: value, describe: `Engine software: one value for all backends or one per backend (${BACKEND_KINDS.join(', ')}).`,
    parse: list(choice(BACKEND_KINDS)), default: ['vllm'],
  },
  staticBackendHealthChecks: { group: G.static, flagType: 'boolean', describe: 'Send a small real request to each backend model periodically and stop routing to those that fail (needs --static-model-types).', parse: bool(), default: false },
  staticBackendHealthCheckInterval: { group: G.static, flagType: value, describe: 'Seconds between static health checks.', parse: positive, default: 60 },
  staticBackendHealthCheckTimeoutSeconds: { group: G.static, flagType: value, describe: 'Seconds before a health check request counts as failed.', parse: positive, default: 10 },

  k8sPort: { group: G.k8s, flagType: value, describe: 'Port of the engines\' OpenAI servers.', parse: int(1, 65535), default: 8000 },
  k8sNamespace: { group: G.k8s, flagType: value, describe: 'Namespace to watch.', parse: text(), default: 'default' },
  k8sLabelSelector: { group: G.k8s, flagType: value, describe: 'Label selector for engine pods (e.g. app=vllm).', parse: text({ allowEmpty: true }), default: '' },
  k8sServiceDiscoveryType: {
    group: G.k8s, flagType: value, describe: 'Reach engines by pod IP, or by Service name (for service meshes).',
    parse: choice(['pod-ip', 'service-name'] as const), default: 'pod-ip',
  },
  k8sWatcherTimeoutSeconds: {
    group: G.k8s, flagType: value,
    describe: 'Seconds the API server keeps each pod watch open before the router renews it (0: about 5 minutes, spread at random).',
    parse: int(0, 86_400), default: 0,
  },

  routingLogic: { group: G.routing, flagType: value, required: true, describe: `Routing policy: ${ROUTING_LOGICS.join(', ')}.`, parse: choice(ROUTING_LOGICS) },
  sessionKey: { group: G.routing, flagType: value, describe: 'Header (or JSON body field) carrying the session id; required for session routing.', parse: text() },
  prefixMinMatchLength: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: fewest matched prompt characters before the cache match decides (default 0).', parse: int(0) },
  prefixBlockChars: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: characters per hashed prompt block (default 64).', parse: int(1, 1_000_000) },
  prefixMaxBlocks: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: most leading blocks hashed per prompt (default 256).', parse: int(1, 1_000_000) },
  prefixMaxBlocksPerEngine: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: block hashes remembered per engine, bounding memory (default 31250).', parse: int(1, 100_000_000) },
  prefixMinMatchRatio: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: matched share of the prompt needed for cache affinity, 0..1 (default 0.3).', parse: number({ min: 0 }) },
  prefixBalanceAbsThreshold: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: load above the least loaded engine at which affinity yields (default 8).', parse: number({ min: 0 }) },
  prefixBalanceRelThreshold: { group: G.routing, flagType: value, describe: 'Prefix-aware routing: load ratio to the least loaded engine at which affinity yields, >= 1 (default 1.5).', parse: number({ min: 1 }) },
  prefillModelLabels: {
    group: G.routing, flagType: value, parse: list(text()), default: [],
    describe: 'Model labels (--static-model-labels, or the pod label model) of prefill engines, comma-separated; used by the disaggregated_prefill logics.',
  },
  decodeModelLabels: {
    group: G.routing, flagType: value, parse: list(text()), default: [],
    describe: 'Model labels of decode engines, comma-separated; used by the disaggregated_prefill logics.',
  },
  maxInstanceFailoverRerouteAttempts: { group: G.routing, flagType: value, describe: 'Other engines tried when one cannot be connected to (the reference defaults to 0).', parse: int(0, 100), default: 2 },
  outlierDetection: {
    group: G.outliers, flagType: 'boolean', parse: bool(), default: true,
    describe: 'Eject an engine from routing at once on a connect failure, reset, timeout or failed /metrics scrape, and after consecutive 5xx answers (--no-outlier-detection turns it off).',
  },
  outlierConsecutiveFailures: { group: G.outliers, flagType: value, describe: '5xx answers in a row that eject an engine.', parse: int(1, 1_000_000), default: 5 },
  outlierBaseEjectionSeconds: {
    group: G.outliers, flagType: value, parse: positive, default: 30,
    describe: 'The n-th recent ejection lasts n x this (an unreachable engine returns on a passing probe, after (n-1) x this); one ejection is forgotten per interval without failures.',
  },
  outlierMaxEjectionSeconds: { group: G.outliers, flagType: value, describe: 'Longest ejection interval.', parse: positive, default: 300 },
  outlierProbeIntervalSeconds: { group: G.outliers, flagType: value, describe: 'Seconds between probes (GET /v1/models) of an engine ejected as unreachable.', parse: positive, default: 2 },
  requestMigrationAttempts: {
    group: G.routing, flagType: value, parse: int(0, 10), default: 1,
    describe: 'Times a chat or completions request moves to another engine when its engine dies, stalls or errors mid-answer (a stream continues where it broke off; a non-streamed answer is fetched again whole); 0 turns request migration off.',
  },
  requestMigrationDrainGraceSeconds: {
    group: G.routing, flagType: value, parse: number({ min: 0 }), default: 20,
    describe: 'Seconds streams on an engine that left the routing table (or turned not ready) may keep running before they migrate to another engine.',
  },
  kvAwareThreshold: {
    group: G.routing, flagType: value,
    describe: 'kvaware routing: most prompt tokens (4 characters each) a cached prefix may leave unmatched and still decide.',
    parse: int(0, 100_000_000), default: 2000,
  },

  engineStatsInterval: { group: G.stats, flagType: value, describe: 'Seconds between scrapes of engine /metrics.', parse: positive, default: 30 },
  requestStatsWindow: { group: G.stats, flagType: value, describe: 'Sliding window, in seconds, for request statistics.', parse: positive, default: 60 },
  logStats: { group: G.stats, flagType: 'boolean', describe: 'Log engine and request statistics periodically.', parse: bool(), default: false },
  logStatsInterval: { group: G.stats, flagType: value, describe: 'Seconds between statistics log lines.', parse: positive, default: 10 },

  dynamicConfigJson: { group: G.dynamic, flagType: value, describe: 'JSON file whose fields (snake_case flag names) override the flags.', parse: text() },
  dynamicConfigYaml: { group: G.dynamic, flagType: value, describe: 'YAML file whose fields (snake_case flag names) override the flags.', parse: text() },

  logLevel: {
    group: G.logging, flagType: value, describe: 'error, warn, info or debug.',
    parse: choice(LOG_LEVELS, { warning: 'warn', critical: 'error', trace: 'debug' }), default: 'info',
  },
  logFormat: { group: G.logging, flagType: value, describe: 'text or json (one object per line).', parse: choice(['text', 'json'] as const), default: 'text' },

  apiKeys: { group: G.auth, flagType: value, secret: true, describe: 'Keys clients must send as Bearer tokens, comma-separated (also VLLM_ROUTER_API_KEYS and --api-keys-file).', parse: list(text()), default: [] },
  backendApiKey: { group: G.auth, flagType: value, secret: true, describe: 'Bearer token sent to engines when the client sent none (also VLLM_API_KEY).', parse: text() },

  maxBodyBytes: { group: G.limits, flagType: value, describe: 'Largest request body accepted, in bytes.', parse: int(1), default: 32 * MiB },
  connectTimeoutMs: { group: G.limits, flagType: value, describe: 'Milliseconds to connect to an engine.', parse: int(1, MAX_TIMER_MS), default: 5000 },
  firstByteTimeoutMs: { group: G.limits, flagType: value, describe: 'Milliseconds to wait for an engine\'s first response byte (long prompts prefill slowly).', parse: int(1, MAX_TIMER_MS), default: 300_000 },
  drainTimeoutSeconds: { group: G.limits, flagType: value, describe: 'Seconds in-flight requests get to finish on shutdown.', parse: number({ min: 0 }), default: 30 },
  requestHeaderTimeoutMs: { group: G.limits, flagType: value, describe: 'Milliseconds a client has to send a request\'s headers (408 after; slowloris).', parse: int(100, MAX_TIMER_MS), default: DEFAULT_CLIENT_LIMITS.headerTimeoutMs },
  requestBodyTimeoutMs: { group: G.limits, flagType: value, describe: 'Milliseconds a client has to send the whole body after its headers (408 after; raise it for large uploads over slow links).', parse: int(100, MAX_TIMER_MS), default: DEFAULT_CLIENT_LIMITS.bodyTimeoutMs },
  maxHeaderBytes: { group: G.limits, flagType: value, describe: 'Largest request line plus headers, in bytes (431 above).', parse: int(1024, 1024 * 1024), default: DEFAULT_CLIENT_LIMITS.maxHeaderBytes },
  maxHeaderCount: { group: G.limits, flagType: value, describe: 'Most header fields in one request (431 above).', parse: int(8, 10_000), default: DEFAULT_CLIENT_LIMITS.maxHeaderCount },
  maxConnectionsPerClient: { group: G.limits, flagType: value, describe: 'Most open connections from one client address (one more is answered 429 and closed); 0 for no cap (behind an ingress every client shares its address).', parse: int(0, 1_000_000), default: DEFAULT_CLIENT_LIMITS.maxConnectionsPerClient },

  enableBatchApi: { group: G.batch, flagType: 'boolean', describe: 'Serve /v1/files and /v1/batches.', parse: bool(), default: false },
  fileStorageClass: { group: G.batch, flagType: value, describe: 'File storage backend: local_file.', parse: choice(['local_file'] as const), default: 'local_file' },
  fileStoragePath: { group: G.batch, flagType: value, describe: 'Directory for uploaded files and batch results.', parse: text(), default: '/tmp/vllm_files' },
  batchProcessor: { group: G.batch, flagType: value, describe: 'Batch processor: local.', parse: choice(['local'] as const), default: 'local' },
  batchConcurrency: { group: G.batch, flagType: value, describe: 'Batch requests in flight at once.', parse: int(1, 10_000), default: 8 },
  batchLeaseSeconds: {
    group: G.batch,
    flagType: value,
    describe: 'Seconds a replica holds a running batch without renewing (renewed every third of it); after a crash another replica on the same storage takes the batch over once it lapses.',
    parse: number({ min: 1 }),
    default: 30,
  },
  maxFileBytes: { group: G.batch, flagType: value, describe: 'Largest uploaded file, in bytes.', parse: int(1), default: 512 * MiB },

  otelEndpoint: { group: G.telemetry, flagType: value, describe: 'OTLP endpoint for traces (e.g. localhost:4317); tracing is off without it.', parse: text() },
  otelServiceName: { group: G.telemetry, flagType: value, describe: 'Service name on traces.', parse: text(), default: 'vllm-router' },
  otelSecure: { group: G.telemetry, flagType: 'boolean', describe: 'Use TLS to the OTLP endpoint (insecure by default).', parse: bool(), default: false },
  sentryDsn: { group: G.telemetry, flagType: value, secret: true, describe: 'Sentry DSN: report errors (and sampled request traces) to Sentry.', parse: text() },
  sentryTracesSampleRate: { group: G.telemetry, flagType: value, describe: 'Share of requests traced to Sentry, 0..1.', parse: number({ min: 0, max: 1 }), default: 0.1 },
  sentryProfileSessionSampleRate: {
    group: G.telemetry, flagType: value,
    describe: 'Share of Sentry profiling sessions, 0..1 (passed to the SDK; profiles need @sentry/profiling-node, not bundled).',
    parse: number({ min: 0, max: 1 }), default: 1,
  },

  callbacks: { group: G.hooks, flagType: value, describe: 'JavaScript module (path) exporting preRequest and/or postRequest hooks run around each request.', parse: text() },
  requestRewriter: { group: G.hooks, flagType: value, describe: "noop, or a JavaScript module (path) exporting rewriteRequest, which may change each request body before routing.", parse: text(), default: 'noop' },
  featureGates: { group: G.server, flagType: value, describe: "The reference router's experimental feature gates (Name=true,...); the features they enable are not in this build.", parse: featureGates(), default: [] },

  ...ADMISSION_SETTINGS,
};

export const SETTING_KEYS = Object.keys(SETTINGS) as (keyof ProxyOptions)[];

/** `staticBackendKinds` -> `static-backend-kinds`. */
export const kebabCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** `staticBackendKinds` -> `static_backend_kinds`, the reference's dynamic config spelling. */
export const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The default of a field, copied so callers can never mutate the table's arrays and maps. */
export function defaultOf<K extends keyof ProxyOptions>(key: K): ProxyOptions[K] | undefined {
  const d = SETTINGS[key].default;
  return d === undefined ? undefined : structuredClone(d);
}

/** Parse one field; `name` is how the user spelled it (`--port`, `port`). Secrets never reach messages. */
export function parseSetting<K extends keyof ProxyOptions>(key: K, raw: unknown, name: string): ProxyOptions[K] {
  const setting = SETTINGS[key];
  try {
    return setting.parse(raw, name);
  } catch (err) {
    if (setting.secret && err instanceof ConfigError) throw new ConfigError(err.setting, undefined, `(value hidden) ${err.reason}`);
    throw err;
  }
}
