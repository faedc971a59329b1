import type { V1EnvVar, V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';
import { ROUTING_LOGICS, type BackendKind, type EngineRole, type ModelType, type PrefixParams } from '@vllm-router/common/routing-table';

/** The routing logics a VLLMRouter may name (the CRD's enum): every logic of the routing-table contract. */
export const ROUTER_LOGICS = ROUTING_LOGICS;
export type RouterLogic = (typeof ROUTER_LOGICS)[number];

export type ModelSource = 'api' | 'label' | 'annotation';

export interface EnginesSpec {
  selector: V1LabelSelector;
  port?: number;
  scheme?: 'http' | 'https';
  backendKind?: BackendKind;
  models?: { source?: ModelSource; key?: string; timeoutSeconds?: number };
  /** The selected engines run with --scheduling-policy priority: the proxy forwards request priorities to them. */
  priorityScheduling?: boolean;
  /** Which pods prefill and which decode (disaggregated prefill): by the value of one pod label. */
  roles?: RolesSpec;
}

/** The role label: pods whose `label` is one of `prefill` are prefill engines, one of `decode` decode engines. */
export interface RolesSpec {
  label?: string;
  prefill?: string[];
  decode?: string[];
}

export interface StaticBackendSpec {
  url: string;
  models: string[];
  backendKind?: BackendKind;
  role?: EngineRole;
  priorityScheduling?: boolean;
}

/** Overload control in the proxy: each field is one vllm-router flag (unset: the proxy's default). */
export interface AdmissionSpec {
  maxConcurrencyPerEngine?: number;
  maxEngineWaiting?: number;
  maxEngineKvUsage?: number;
  queueMaxSize?: number;
  queueTimeoutSeconds?: number;
  priority?: { header?: string; field?: string; default?: number };
  tenantHeader?: string;
  tenantWeights?: Record<string, number>;
  rateLimit?: { rpm?: number; tpm?: number };
  affinityMaxWaitMs?: number;
}

export interface ProxySpec {
  replicas?: number;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  service?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port?: number };
  apiKeySecretRef?: { name: string; key?: string };
  extraArgs?: string[];
  env?: V1EnvVar[];
}

export interface VLLMRouterSpec {
  engines?: EnginesSpec;
  staticBackends?: StaticBackendSpec[];
  aliases?: Record<string, string>;
  modelTypes?: Record<string, ModelType>;
  routing?: { logic?: RouterLogic; sessionKey?: string; prefix?: Partial<PrefixParams> };
  stats?: { engineStatsInterval?: number; requestStatsWindow?: number };
  admission?: AdmissionSpec;
  proxy?: ProxySpec;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition as JSON (times are RFC 3339 strings). */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface EndpointStatus {
  /** The engine pod; absent for static backends. */
  pod?: string;
  url: string;
  models: string[];
  ready: boolean;
  /** Why the engine is not ready. */
  reason?: string;
  /** prefill or decode, from the role label (or the static backend's role). */
  role?: EngineRole;
}

export interface VLLMRouterStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  readyEngines?: number;
  totalEngines?: number;
  /** "ready/total", for kubectl get. */
  engines?: string;
  /** "ready/total" of prefill and of decode engines, when any engine has a role. */
  prefillEngines?: string;
  decodeEngines?: string;
  models?: string[];
  modelsSummary?: string;
  endpoints?: EndpointStatus[];
  proxyReadyReplicas?: number;
  url?: string;
  routingConfigMap?: string;
  routingRevision?: string;
}

export interface VLLMRouter {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec: VLLMRouterSpec;
  status?: VLLMRouterStatus;
}
