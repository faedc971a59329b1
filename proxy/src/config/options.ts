import type { BackendKind, ModelType, RoutingLogic } from '@vllm-router/common/routing-table';

export type ServiceDiscovery = 'static' | 'k8s' | 'configmap';
import type { LogFormat, LogLevel } from '@vllm-router/common';

export type { LogFormat, LogLevel };

/**
 * Everything the proxy is started with, after parsing and validation of the command line.
 * Field names follow the reference router's flags (`--static-backends` -> staticBackends).
 */
export interface ProxyOptions {
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
  sentryDsn?: string;
}
