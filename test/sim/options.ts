import type { MetricsFlavor } from './metrics.js';
import { resolvePdOptions, type PdSimOptions, type ResolvedPdSimOptions } from './pd-options.js';
import type { SchedulingPolicy } from './scheduler.js';

export type { MetricsFlavor, SchedulingPolicy };

/**
 * How a stream dies after `dieAfterChunks` events: `reset` destroys the connection, `fin` ends the
 * response cleanly without the rest (no final chunk, no [DONE]), `error-event` sends vLLM's mid-stream
 * error event and [DONE], `stall` stops sending and keeps the connection open.
 */
export type DeathMode = 'reset' | 'fin' | 'error-event' | 'stall';
export const DEATH_MODES: readonly DeathMode[] = ['reset', 'fin', 'error-event', 'stall'];

/** Faults the sim injects into inference requests (chat, completions, embeddings); changeable at runtime. */
export interface FailureInjection {
  /** Probability (0..1) of answering 500 in the OpenAI error shape. */
  errorRate: number;
  /** Accept the request and never answer (until the client leaves or the sim closes). */
  hang: boolean;
  /** Destroy the socket as soon as the request has been received. */
  resetBeforeResponse: boolean;
  /** Destroy the socket after this many SSE `data:` events (non-streaming: mid-body); null = off. */
  resetMidStream: number | null;
  /**
   * Die after this many SSE `data:` events, the way `deathMode` says (non-streaming: halfway through the
   * body; `error-event` answers 500 instead, as vLLM does when a non-streamed generation fails); null = off.
   */
  dieAfterChunks: number | null;
  deathMode: DeathMode;
  /** GET /health answers 503. */
  unhealthy: boolean;
}

export interface EngineSimOptions extends Partial<FailureInjection>, PdSimOptions {
  /** Default: `<host>:<port>` once listening. */
  engineId?: string;
  /** Served model names; the first is the default and labels /metrics. Default ['sim-model']. */
  models?: string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Decode time per output token after the first. Default 0. */
  tokenDelayMs?: number;
  /** Fixed output length before max_tokens caps it. Default 16. */
  outputTokens?: number;
  /** Random output length in [min, max] (seeded); overrides outputTokens. */
  outputTokensRange?: [number, number];
  /** Concurrent requests; the rest queue FIFO. Default 256. */
  maxNumSeqs?: number;
  /**
   * vLLM's --scheduling-policy. fcfs (default) refuses a non-zero `priority` with 400, as vLLM does;
   * priority queues waiting requests by it (lower first).
   */
  schedulingPolicy?: SchedulingPolicy;
  /** Tokens per KV block. Default 16. */
  blockSize?: number;
  /** KV cache capacity in blocks. Default 2048. */
  numGpuBlocks?: number;
  /** Prefill time per uncached prompt token. Default 0. */
  prefillMsPerToken?: number;
  /** Default 'vllm'. */
  metricsFlavor?: MetricsFlavor;
  /** Seed for error injection and random output lengths. Default 1. */
  seed?: number;
  /** Embedding vector length when the request does not ask for `dimensions`. Default 8. */
  embeddingDimensions?: number;
  /**
   * A completions prompt that ends with the start of the output sequence ("the old fox") continues that
   * sequence, as a model continues its own text (so a migrated answer equals an uninterrupted one).
   * Default false: every completion starts the sequence afresh. Chat requests with
   * `continue_final_message` always continue their final message.
   */
  continueCompletions?: boolean;
  /**
   * Put `system_fingerprint` (the engine id) on every stream chunk, so a test can see which engine wrote
   * each part of a relayed stream. Default false: as vLLM, only the usage chunk carries it.
   */
  fingerprintChunks?: boolean;
}

export interface ResolvedSimOptions {
  engineId: string | undefined;
  models: string[];
  host: string;
  port: number;
  tokenDelayMs: number;
  outputTokens: number;
  outputTokensRange: [number, number] | null;
  maxNumSeqs: number;
  schedulingPolicy: SchedulingPolicy;
  blockSize: number;
  numGpuBlocks: number;
  prefillMsPerToken: number;
  metricsFlavor: MetricsFlavor;
  seed: number;
  embeddingDimensions: number;
  continueCompletions: boolean;
  fingerprintChunks: boolean;
  failure: FailureInjection;
  /** Disaggregated prefill role, KV transfer and chunked prefill. */
  pd: ResolvedPdSimOptions;
}

export function resolveOptions(o: EngineSimOptions): ResolvedSimOptions {
  const resolved: ResolvedSimOptions = {
    engineId: o.engineId,
    models: o.models && o.models.length > 0 ? [...o.models] : ['sim-model'],
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    tokenDelayMs: o.tokenDelayMs ?? 0,
    outputTokens: o.outputTokens ?? 16,
    outputTokensRange: o.outputTokensRange ? [o.outputTokensRange[0], o.outputTokensRange[1]] : null,
    maxNumSeqs: o.maxNumSeqs ?? 256,
    schedulingPolicy: o.schedulingPolicy ?? 'fcfs',
    blockSize: o.blockSize ?? 16,
    numGpuBlocks: o.numGpuBlocks ?? 2048,
    prefillMsPerToken: o.prefillMsPerToken ?? 0,
    metricsFlavor: o.metricsFlavor ?? 'vllm',
    seed: o.seed ?? 1,
    embeddingDimensions: o.embeddingDimensions ?? 8,
    continueCompletions: o.continueCompletions ?? false,
    fingerprintChunks: o.fingerprintChunks ?? false,
    failure: mergeFailure(
      { errorRate: 0, hang: false, resetBeforeResponse: false, resetMidStream: null, dieAfterChunks: null, deathMode: 'reset', unhealthy: false },
      o,
    ),
    pd: resolvePdOptions(o),
  };
  validate(resolved);
  return resolved;
}

/** Apply a partial update (from options or setFailure), validating the result. */
export function mergeFailure(current: FailureInjection, patch: Partial<FailureInjection>): FailureInjection {
  const next: FailureInjection = {
    errorRate: patch.errorRate ?? current.errorRate,
    hang: patch.hang ?? current.hang,
    resetBeforeResponse: patch.resetBeforeResponse ?? current.resetBeforeResponse,
    resetMidStream: patch.resetMidStream === undefined ? current.resetMidStream : patch.resetMidStream,
    dieAfterChunks: patch.dieAfterChunks === undefined ? current.dieAfterChunks : patch.dieAfterChunks,
    deathMode: patch.deathMode ?? current.deathMode,
    unhealthy: patch.unhealthy ?? current.unhealthy,
  };
  check(next.errorRate >= 0 && next.errorRate <= 1, 'errorRate must be within [0, 1]');
  check(next.resetMidStream === null || isCount(next.resetMidStream, 0), 'resetMidStream must be an integer >= 0 or null');
  check(next.dieAfterChunks === null || isCount(next.dieAfterChunks, 0), 'dieAfterChunks must be an integer >= 0 or null');
  check(DEATH_MODES.includes(next.deathMode), `deathMode must be one of ${DEATH_MODES.join(', ')}`);
  return next;
}

/** The mid-stream fault in force: resetMidStream (always a reset), else dieAfterChunks with its mode. */
export function midStreamFault(failure: FailureInjection): { afterChunks: number; mode: DeathMode } | null {
  if (failure.resetMidStream !== null) return { afterChunks: failure.resetMidStream, mode: 'reset' };
  if (failure.dieAfterChunks !== null) return { afterChunks: failure.dieAfterChunks, mode: failure.deathMode };
  return null;
}

function validate(o: ResolvedSimOptions): void {
  check(o.models.every((m) => m.length > 0), 'model names must not be empty');
  check(isCount(o.port, 0) && o.port <= 65535, 'port must be an integer in [0, 65535]');
  check(o.tokenDelayMs >= 0 && o.prefillMsPerToken >= 0, 'delays must be >= 0');
  check(isCount(o.outputTokens, 1), 'outputTokens must be an integer >= 1');
  if (o.outputTokensRange) {
    const [min, max] = o.outputTokensRange;
    check(isCount(min, 1) && isCount(max, min), 'outputTokensRange must be integers with 1 <= min <= max');
  }
  check(isCount(o.maxNumSeqs, 1), 'maxNumSeqs must be an integer >= 1');
  check(isCount(o.blockSize, 1), 'blockSize must be an integer >= 1');
  check(isCount(o.numGpuBlocks, 1), 'numGpuBlocks must be an integer >= 1');
  check(isCount(o.embeddingDimensions, 1), 'embeddingDimensions must be an integer >= 1');
  check(Number.isFinite(o.seed), 'seed must be a number');
}

function isCount(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`vllm-engine-sim: ${message}`);
}
