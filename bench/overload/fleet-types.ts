/** What the orchestrator asks of the engine child, and what it answers. */
export interface FleetConfig {
  engines: number;
  model: string;
  /** vLLM's max_num_seqs: requests each engine runs at once; the rest wait in its queue. */
  maxNumSeqs: number;
  prefillMsPerToken: number;
  tokenDelayMs: number;
  blockSize: number;
  numGpuBlocks: number;
  /** How often each engine's waiting queue is sampled. */
  sampleMs: number;
}

export interface EngineReport {
  id: string;
  /** Chat requests the engine received. */
  requests: number;
  /** Longest waiting queue the engine had (exact, from the simulator). */
  maxQueueLength: number;
  /** Waiting queue sampled every sampleMs: mean and 99th percentile. */
  waitingMean: number;
  waitingP99: number;
  prefixCacheHits: number;
  prefixCacheQueries: number;
}

export type FleetMessage =
  | { type: 'ready'; engines: Array<{ id: string; url: string }> }
  | { type: 'stats'; engines: EngineReport[] }
  | { type: 'error'; message: string };
