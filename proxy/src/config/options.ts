import type { BackendKind, ModelType, RoutingLogic } from '@vllm-router/common/routing-table';

/** `external-only`: no engines of our own, only --external-providers-config upstreams (reference spelling). */
export type ServiceDiscovery = 'static' | 'k8s' | 'configmap' | 'external-only';
import type { LogFormat, LogLevel } from '@vllm-router/common';
import type { FeatureGate } from './value-parsers.js';
import type { AdmissionOptions } from './admission-settings.js';

export type { LogFormat, LogLevel };

/**
 * Everything the proxy is started with, after parsing and validation of the command line.
 * Field names follow the reference router's flags (`--static-backends` -> staticBackends).
 */
export interface ProxyOptions extends AdmissionOptions {
  host: string;
  port: number;
  rootPath: string;

  serviceDiscovery: ServiceDiscovery;
  staticBackends: string[];
  staticModels: string[];
  staticAliases: Record<string, string>;
  /** One per backend, aligned with staticBackends. */
  staticModelTypes: ModelType[];
  /** One per backend, or a single value that applies to every backend; default [vllm]. */
  staticBackendKinds: BackendKind[];
  /** One label per backend, '' for none (reference: --static-model-labels); becomes the engine label `model`. */
  staticModelLabels: string[];
  staticBackendHealthChecks: boolean;
  staticBackendHealthCheckInterval: number;
  staticBackendHealthCheckTimeoutSeconds: number;

  k8sPort: number;
  k8sNamespace: string;
  k8sLabelSelector: string;
  k8sServiceDiscoveryType: 'pod-ip' | 'service-name';
  /** Reference: --k8s-watcher-timeout-seconds. Server-side length of each watch; 0 keeps our default. */
  k8sWatcherTimeoutSeconds: number;
  /** `<namespace>/<name>` of the operator's routing ConfigMap. */
  routingConfigmap?: string;
  /** A mounted copy of routing.json, followed across the kubelet's symlink swap. */
  routingFile?: string;

  routingLogic: RoutingLogic;
  sessionKey?: string;
  /** Reference semantics: fewest matched prompt characters before a prefix match decides (unset = 0). */
  prefixMinMatchLength?: number;
  /** Prefix-aware routing tuning (see PrefixParams); unset fields keep the policy's defaults. */
  prefixBlockChars?: number;
  prefixMaxBlocks?: number;
  prefixMaxBlocksPerEngine?: number;
  prefixMinMatchRatio?: number;
  prefixBalanceAbsThreshold?: number;
  prefixBalanceRelThreshold?: number;
  /** `model` label values of prefill and of decode engines (reference: --prefill-model-labels, --decode-model-labels). */
  prefillModelLabels: string[];
  decodeModelLabels: string[];

  engineStatsInterval: number;
  requestStatsWindow: number;
  logStats: boolean;
  logStatsInterval: number;

  dynamicConfigJson?: string;
  dynamicConfigYaml?: string;

  logLevel: LogLevel;
  logFormat: LogFormat;

  /** Keys clients must present on /v1 paths (from --api-keys, VLLM_ROUTER_API_KEYS, or --api-keys-file). */
  apiKeys: string[];
  /** Sent upstream as `Authorization: Bearer` when the client sent none (also VLLM_API_KEY). */
  backendApiKey?: string;

  maxBodyBytes: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  /** Reference: --max-instance-failover-reroute-attempts. Extra engines tried after a connect failure. */
  maxInstanceFailoverRerouteAttempts: number;
  /** Passive outlier detection (see OutlierDetector): on by default. */
  outlierDetection: boolean;
  outlierConsecutiveFailures: number;
  outlierBaseEjectionSeconds: number;
  outlierMaxEjectionSeconds: number;
  outlierProbeIntervalSeconds: number;
  /** Moves per request to another engine after its engine failed mid-answer (request migration); 0 turns it off. */
  requestMigrationAttempts: number;
  /** How long streams on an engine that left the routing table may finish before they are migrated. */
  requestMigrationDrainGraceSeconds: number;
  /** Reference: --kv-aware-threshold. kvaware: most prompt tokens left unmatched for cache affinity to decide. */
  kvAwareThreshold: number;
  drainTimeoutSeconds: number;
  /** Client limits (see proxy/src/http/client-guard.ts). */
  requestHeaderTimeoutMs: number;
  requestBodyTimeoutMs: number;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  maxConnectionsPerClient: number;

  enableBatchApi: boolean;
  fileStorageClass: 'local_file';
  fileStoragePath: string;
  batchProcessor: 'local';
  batchConcurrency: number;
  /** How long a replica's lease on a running batch lasts unrenewed. */
  batchLeaseSeconds: number;
  maxFileBytes: number;

  otelEndpoint?: string;
  otelServiceName: string;
  /** TLS to the OTLP endpoint (reference: --otel-secure; insecure by default). */
  otelSecure: boolean;
  sentryDsn?: string;
  sentryTracesSampleRate: number;
  sentryProfileSessionSampleRate: number;

  /** A JS module exporting preRequest/postRequest hooks (reference: --callbacks, a Python object there). */
  callbacks?: string;
  /** 'noop' (reference default) or a JS module exporting rewriteRequest. */
  requestRewriter: string;
  /** Reference: --feature-gates; the experimental features it gates are not in this build. */
  featureGates: FeatureGate[];
  /** YAML file of OpenAI-compatible upstreams routed like engines (reference: --external-providers-config). */
  externalProvidersConfig?: string;
}
