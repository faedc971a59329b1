/** What the orchestrator asks of the engine child, and what it answers. */
export interface EngineFleetConfig {
  engines: number;
  model: string;
  maxNumSeqs: number;
  prefillMsPerToken: number;
  tokenDelayMs: number;
  numGpuBlocks: number;
  blockSize: number;
  outputTokens: number;
}

export interface EngineStatsMessage {
  id: string;
  /** Chat requests the engine received. */
  requests: number;
  prefixCacheHits: number;
  prefixCacheQueries: number;
  evictedBlocks: number;
  maxQueueLength: number;
  meanQueueMs: number;
  meanPrefillMs: number;
}

export type FleetMessage =
  | { type: 'ready'; engines: Array<{ id: string; url: string }> }
  | { type: 'stats'; engines: EngineStatsMessage[] }
  | { type: 'error'; message: string };
