/**
 * The routing table: the one contract between the operator (or any other config source) and the proxy.
 * Every source (static flags, dynamic config file, Kubernetes discovery, the operator's ConfigMap)
 * produces this shape; the proxy validates it once and swaps it in atomically.
 */

/** Bump when a change is not backward compatible; the validator refuses other versions. */
export const ROUTING_TABLE_VERSION = 1 as const;

export const BACKEND_KINDS = ['vllm', 'sglang', 'tgi', 'llamacpp', 'ollama', 'localai', 'lmstudio', 'openai'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** Model types as the reference router's `--static-model-types` names them (used by health checks). */
export const MODEL_TYPES = [
  'chat',
  'completion',
  'embeddings',
  'rerank',
  'score',
  'transcription',
  'vision',
  'messages',
] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/**
 * Routing logic names, the reference router's but `leastload` (ours). `kvaware` is served by our
 * best load-and-cache scorer (see the README). The two disaggregated modes send each chat or
 * completion request to a prefill engine, then to a decode engine: `disaggregated_prefill` leaves
 * the KV cache to LMCache between them, `disaggregated_prefill_orchestrated` hands vLLM's
 * `kv_transfer_params` from the prefill answer to the decode request.
 */
export const ROUTING_LOGICS = [
  'roundrobin',
  'session',
  'leastload',
  'prefixaware',
  'kvaware',
  'disaggregated_prefill',
  'disaggregated_prefill_orchestrated',
] as const;
export type RoutingLogic = (typeof ROUTING_LOGICS)[number];

/** The routing logics that split a request between a prefill engine and a decode engine. */
export const DISAGGREGATED_LOGICS = ['disaggregated_prefill', 'disaggregated_prefill_orchestrated'] as const satisfies readonly RoutingLogic[];
export type DisaggregatedLogic = (typeof DISAGGREGATED_LOGICS)[number];

export function isDisaggregated(logic: RoutingLogic): logic is DisaggregatedLogic {
  return (DISAGGREGATED_LOGICS as readonly string[]).includes(logic);
}

/** What an engine does under disaggregated prefill: computes prompts, or generates from their KV cache. */
export const ENGINE_ROLES = ['prefill', 'decode'] as const;
export type EngineRole = (typeof ENGINE_ROLES)[number];

export const TABLE_SOURCES = ['static', 'dynamic-config', 'k8s', 'configmap', 'file'] as const;
export type TableSource = (typeof TABLE_SOURCES)[number];

export interface EngineEntry {
  /** Stable, unique id: a pod name, or the URL for static backends. */
  id: string;
  /** Base URL of the engine's OpenAI server, without `/v1` (e.g. `http://10.1.2.3:8000`). */
  url: string;
  /** Models (and LoRA adapters) this engine serves. */
  models: string[];
  backendKind: BackendKind;
  labels: Record<string, string>;
  /** Only ready engines are routed to. */
  ready: boolean;
  /**
   * Prefill or decode engine, for the disaggregated routing logics (the other logics show it but
   * route to every engine). Absent: an ordinary engine, which the disaggregated logics use for
   * neither leg.
   */
  role?: EngineRole;
  /**
   * The engine schedules by request priority (vLLM `--scheduling-policy priority`), so the router
   * forwards each request's priority in the body's `priority` field. Absent or false: the router
   * removes a client's `priority` field, which such an engine would refuse when non-zero.
   */
  priorityScheduling?: boolean;
}

/** Parameters of the cache-aware policy; every field has a default (see DEFAULT_PREFIX_PARAMS). */
export interface PrefixParams {
  /** Characters per hashed block. */
  blockChars: number;
  /** Most leading blocks hashed per prompt. */
  maxBlocks: number;
  /** Block hashes remembered per engine (LRU), which bounds memory. */
  maxBlocksPerEngine: number;
  /** Route by cache only when matched/total blocks reaches this ratio. */
  minMatchRatio: number;
  /** ...and when the matched prefix is at least this many characters (reference: --prefix-min-match-length). */
  minMatchChars: number;
  /** The pool is imbalanced when max-min in-flight exceeds this and max > min * balanceRelThreshold. */
  balanceAbsThreshold: number;
  balanceRelThreshold: number;
}

export const DEFAULT_PREFIX_PARAMS: PrefixParams = {
  blockChars: 64,
  maxBlocks: 256,
  maxBlocksPerEngine: 31_250,
  minMatchRatio: 0.3,
  minMatchChars: 0,
  balanceAbsThreshold: 8,
  balanceRelThreshold: 1.5,
};

export interface RoutingTable {
  version: typeof ROUTING_TABLE_VERSION;
  /** Content hash of everything but itself (see computeRevision). */
  revision: string;
  source: TableSource;
  routingLogic: RoutingLogic;
  /** Header (or JSON body field) that carries the session id for `session` routing. */
  sessionKey?: string;
  prefix?: Partial<PrefixParams>;
  engines: EngineEntry[];
  /** alias -> real model name. */
  aliases: Record<string, string>;
  /** model -> type, for health checks. */
  modelTypes: Record<string, ModelType>;
}

/** A table before its revision is computed. */
export type RoutingTableDraft = Omit<RoutingTable, 'revision' | 'version'>;
