/** What the orchestrator asks of the engine child, and what it answers. */

/** The same engine physics for every engine of every configuration. */
export interface EnginePhysics {
  model: string;
  /** Decode step time: the inter-token latency when no prompt shares the step. */
  tokenDelayMs: number;
  prefillMsPerToken: number;
  /** vLLM's max_num_batched_tokens: the token budget of one engine step (chunked prefill). */
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  numGpuBlocks: number;
  /** Time a decode engine spends receiving each prompt token's KV cache. */
  kvTransferMsPerToken: number;
}

export interface EngineSpec {
  id: string;
  host: string;
  /** null: an ordinary (aggregated) engine. */
  role: 'prefill' | 'decode' | null;
}

export interface FleetConfig {
  physics: EnginePhysics;
  engines: EngineSpec[];
}

export interface EngineCounters {
  id: string;
  role: EngineSpec['role'];
  /** Chat requests the engine received. */
  requests: number;
  generationTokens: number;
  maxQueueLength: number;
}

export type FleetMessage =
  | { type: 'ready'; engines: Array<{ id: string; url: string }> }
  | { type: 'stats'; engines: EngineCounters[] }
  | { type: 'error'; message: string };
