/** What the orchestrator asks of the engines child, and what it answers. */
export interface FleetConfig {
  engines: number;
  model: string;
  tokenDelayMs: number;
  prefillMsPerToken: number;
  outputTokens: number;
}

export type FleetMessage =
  | { type: 'ready'; engines: Array<{ id: string; url: string }> }
  /** Engine `index` was killed (every connection reset); it is back `downMs` later. */
  | { type: 'killed'; index: number }
  | { type: 'error'; message: string };

export type FleetCommand = { type: 'kill'; index: number; downMs: number };
