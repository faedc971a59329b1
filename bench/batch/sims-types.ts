/** What the orchestrator asks of the simulator child, and what it answers. */
export interface SimsConfig {
  sims: number;
  model: string;
  tokenDelayMs: number;
  maxNumSeqs: number;
}

export type SimsMessage =
  | { type: 'ready'; urls: string[] }
  /** Chat requests received per sim, and the longest queue any sim had. */
  | { type: 'stats'; requests: number[]; maxQueue: number }
  | { type: 'error'; message: string };
