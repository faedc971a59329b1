import type { KvTransfer } from './kv-transfer.js';
import type { FailureInjection } from './options.js';
import type { SchedulingPolicy } from './scheduler.js';
import type { ServingModel } from './serving-model.js';

/** What the endpoint handlers need from the running engine. */
export interface EngineContext {
  readonly engineId: string;
  readonly models: readonly string[];
  readonly serving: ServingModel;
  /** KV cache moving between prefill and decode engines (disaggregated roles). */
  readonly kv: KvTransfer;
  readonly embeddingDimensions: number;
  /** Completions prompts ending with the output sequence continue it (EngineSimOptions.continueCompletions). */
  readonly continueCompletions: boolean;
  /** Every stream chunk names the engine (EngineSimOptions.fingerprintChunks). */
  readonly fingerprintChunks: boolean;
  readonly schedulingPolicy: SchedulingPolicy;
  failure(): FailureInjection;
  /** Output length before max_tokens: fixed, or seeded-random within the configured range. */
  sampleOutputTokens(): number;
  /** Response ids, unique per engine: `<prefix>-<engineId>-<n>`. */
  nextId(prefix: string): string;
}
