import { promptBlockHashes } from './block-hashes.js';
import { pushBounded } from './bounded-list.js';
import { E2E_BUCKETS_SECONDS, Histogram, TTFT_BUCKETS_SECONDS } from './histogram.js';
import { KvBlockPool, type KvAllocation } from './kv-block-pool.js';
import { FifoScheduler, type SchedulingPolicy } from './scheduler.js';
import { sleepUntil } from './sleep.js';
import { outputToken } from './tokens.js';

export interface ServingConfig {
  maxNumSeqs: number;
  schedulingPolicy?: SchedulingPolicy;
  blockSize: number;
  numGpuBlocks: number;
  prefillMsPerToken: number;
  tokenDelayMs: number;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerationRequest {
  model: string;
  prompt: string;
  promptTokens: number;
  outputTokens: number;
  /** Index in the output sequence of the first token to emit (> 0 when continuing an earlier answer). */
  firstTokenIndex?: number;
  finishReason: Exclude<FinishReason, 'abort'>;
  /** performance.now() when the request arrived; queue wait and TTFT count from here. */
  arrivedAt: number;
  /** Prompt tokens whose KV cache came from another engine (disaggregated decode): not computed here. */
  preloadedTokens?: number;
  /**
   * Keep the request's KV blocks after it ends (a prefill engine holding them for a remote decode):
   * called at the end with the function that frees them.
   */
  keepKv?: (release: () => void) => void;
  /** vLLM's request priority (lower first); only the priority scheduling policy looks at it. */
  priority?: number;
}

/** What admission gave a request: its KV allocation, and how much of the prompt needs no computing. */
export interface Admission {
  alloc: KvAllocation;
  /** Prompt tokens found in the local prefix cache. */
  cachedTokens: number;
  /** Prompt tokens not computed here: cached locally or preloaded from another engine. */
  skippedTokens: number;
  queueMs: number;
}

/** Per-request timing, kept (bounded) in stats so benchmarks can check the router's effect on TTFT. */
export interface TtftSample {
  model: string;
  promptTokens: number;
  cachedTokens: number;
  /** Prompt tokens whose KV cache arrived from another engine. */
  transferredTokens: number;
  queueMs: number;
  prefillMs: number;
  ttftMs: number;
}

export type TokenSink = (index: number, text: string) => void;

export interface ServingSnapshot {
  running: number;
  waiting: number;
  maxQueueLength: number;
  kvUsage: number;
  cachedBlocks: number;
  evictedBlocks: number;
  prefixCacheQueries: number;
  prefixCacheHits: number;
  promptTokens: number;
  generationTokens: number;
  finished: Record<FinishReason, number>;
  ttfts: TtftSample[];
}

const TTFT_SAMPLES_LIMIT = 1000;
/** Timers fire up to about a millisecond late; this much catch-up per token keeps the average rate exact. */
const TIMER_SLACK_MS = 1;

/**
 * One engine's serving loop, per request: wait for a slot (FIFO, maxNumSeqs), look up the prompt's cached
 * prefix, prefill the uncached tokens (prefillMsPerToken each), emit the first token (TTFT = queue wait +
 * prefill), then one token every tokenDelayMs. Requests do not slow each other down beyond the slot limit;
 * ChunkedPrefillServingModel (chunked-prefill.ts) replaces the timing with shared engine steps.
 */
export class ServingModel {
  readonly scheduler: FifoScheduler;
  readonly pool: KvBlockPool;
  readonly ttftHistogram = new Histogram(TTFT_BUCKETS_SECONDS);
  readonly e2eHistogram = new Histogram(E2E_BUCKETS_SECONDS);
  private prefixCacheQueries = 0;
  private prefixCacheHits = 0;
  private promptTokens = 0;
  private generationTokens = 0;
  private readonly finished: Record<FinishReason, number> = { stop: 0, length: 0, abort: 0 };
  private readonly ttfts: TtftSample[] = [];

  constructor(protected readonly config: ServingConfig) {
    this.scheduler = new FifoScheduler(config.maxNumSeqs, config.schedulingPolicy);
    this.pool = new KvBlockPool(config.blockSize, config.numGpuBlocks);
  }

  /** Calls onToken once per output token at its simulated time; rejects with the signal's reason on abort. */
  async generate(request: GenerationRequest, onToken: TokenSink, signal: AbortSignal): Promise<TtftSample> {
    try {
      await this.scheduler.acquire(signal, request.priority);
    } catch (err) {
      this.finished.abort++;
      throw err;
    }
    const admission = this.admit(request);
    let kept = false;
    try {
      const sample = await this.run(request, admission, onToken, signal);
      this.finished[request.finishReason]++;
      this.e2eHistogram.observe((performance.now() - request.arrivedAt) / 1000);
      if (request.keepKv) {
        kept = true;
        request.keepKv(() => this.pool.release(admission.alloc));
      }
      return sample;
    } catch (err) {
      if (signal.aborted) this.finished.abort++;
      throw err;
    } finally {
      if (!kept) this.pool.release(admission.alloc);
      this.scheduler.release();
    }
  }

  /** Take KV blocks for the prompt; at least one prompt token is always computed, as in vLLM. */
  private admit(request: GenerationRequest): Admission {
    const hashes = promptBlockHashes(request.model, request.prompt, request.promptTokens, this.config.blockSize);
    const alloc = this.pool.admit(hashes, request.promptTokens);
    this.prefixCacheQueries += request.promptTokens;
    this.prefixCacheHits += alloc.cachedTokens;
    this.promptTokens += request.promptTokens;
    const preloaded = Math.min(request.preloadedTokens ?? 0, Math.max(0, request.promptTokens - 1));
    return { alloc, cachedTokens: alloc.cachedTokens, skippedTokens: Math.max(alloc.cachedTokens, preloaded), queueMs: performance.now() - request.arrivedAt };
  }

  /** The request's timing from admission to its last token: prefill, then one token per tokenDelayMs. */
  protected async run(request: GenerationRequest, admission: Admission, onToken: TokenSink, signal: AbortSignal): Promise<TtftSample> {
    const prefillMs = (request.promptTokens - admission.skippedTokens) * this.config.prefillMsPerToken;
    await sleepUntil(performance.now() + prefillMs, signal);
    // Prefill yields the first token; decode yields the rest, one per tokenDelayMs.
    const sample = this.prefilled(request, admission, prefillMs);
    const firstAt = performance.now();
    const delay = this.config.tokenDelayMs;
    let due = firstAt;
    let emittedAt = firstAt;
    for (let i = 0; i < request.outputTokens; i++) {
      if (i > 0) {
        // Stay on the tokenDelayMs grid despite timer overshoot, but after a stall (busy event loop) shift
        // later tokens as a slow engine step would, instead of bursting them out to catch up.
        due = Math.max(due + delay, emittedAt + delay - TIMER_SLACK_MS);
        await sleepUntil(due, signal);
      }
      signal.throwIfAborted();
      emittedAt = performance.now();
      this.emit(request, admission, i, onToken);
    }
    return sample;
  }

  /** The prompt is computed: its blocks become reusable, and the first token is due now. */
  protected prefilled(request: GenerationRequest, admission: Admission, prefillMs: number): TtftSample {
    this.pool.commitPrompt(admission.alloc);
    const sample: TtftSample = {
      model: request.model,
      promptTokens: request.promptTokens,
      cachedTokens: admission.cachedTokens,
      transferredTokens: admission.skippedTokens - admission.cachedTokens,
      queueMs: admission.queueMs,
      prefillMs,
      ttftMs: performance.now() - request.arrivedAt,
    };
    this.ttftHistogram.observe(sample.ttftMs / 1000);
    pushBounded(this.ttfts, sample, TTFT_SAMPLES_LIMIT);
    return sample;
  }

  /** Output token `index` leaves the engine; the sequence may grow into a new KV block. */
  protected emit(request: GenerationRequest, admission: Admission, index: number, onToken: TokenSink): void {
    // A continuation of an earlier answer picks the sequence up where that one stopped.
    onToken(index, outputToken((request.firstTokenIndex ?? 0) + index));
    this.generationTokens++;
    this.pool.grow(admission.alloc, request.promptTokens + index + 1);
  }

  snapshot(): ServingSnapshot {
    return {
      running: this.scheduler.running,
      waiting: this.scheduler.waiting,
      maxQueueLength: this.scheduler.maxQueueLength,
      kvUsage: this.pool.usage,
      cachedBlocks: this.pool.cachedBlocks,
      evictedBlocks: this.pool.evictedBlocks,
      prefixCacheQueries: this.prefixCacheQueries,
      prefixCacheHits: this.prefixCacheHits,
      promptTokens: this.promptTokens,
      generationTokens: this.generationTokens,
      finished: { ...this.finished },
      ttfts: [...this.ttfts],
    };
  }
}
