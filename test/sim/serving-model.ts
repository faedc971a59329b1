import { promptBlockHashes } from './block-hashes.js';
import { pushBounded } from './bounded-list.js';
import { E2E_BUCKETS_SECONDS, Histogram, TTFT_BUCKETS_SECONDS } from './histogram.js';
import { KvBlockPool } from './kv-block-pool.js';
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
  finishReason: Exclude<FinishReason, 'abort'>;
  /** performance.now() when the request arrived; queue wait and TTFT count from here. */
  arrivedAt: number;
  /** vLLM's request priority (lower first); only the priority scheduling policy looks at it. */
  priority?: number;
}

/** Per-request timing, kept (bounded) in stats so benchmarks can check the router's effect on TTFT. */
export interface TtftSample {
  model: string;
  promptTokens: number;
  cachedTokens: number;
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
 * prefill), then one token every tokenDelayMs. Requests do not slow each other down beyond the slot limit.
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

  constructor(private readonly config: ServingConfig) {
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
    const hashes = promptBlockHashes(request.model, request.prompt, request.promptTokens, this.config.blockSize);
    const alloc = this.pool.admit(hashes, request.promptTokens);
    try {
      const queueMs = performance.now() - request.arrivedAt;
      this.prefixCacheQueries += request.promptTokens;
      this.prefixCacheHits += alloc.cachedTokens;
      this.promptTokens += request.promptTokens;
      const prefillMs = (request.promptTokens - alloc.cachedTokens) * this.config.prefillMsPerToken;
      await sleepUntil(performance.now() + prefillMs, signal);
      this.pool.commitPrompt(alloc);

      // Prefill yields the first token; decode yields the rest, one per tokenDelayMs.
      const firstAt = performance.now();
      const sample: TtftSample = {
        model: request.model,
        promptTokens: request.promptTokens,
        cachedTokens: alloc.cachedTokens,
        queueMs,
        prefillMs,
        ttftMs: firstAt - request.arrivedAt,
      };
      this.ttftHistogram.observe(sample.ttftMs / 1000);
      pushBounded(this.ttfts, sample, TTFT_SAMPLES_LIMIT);
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
        onToken(i, outputToken(i));
        this.generationTokens++;
        this.pool.grow(alloc, request.promptTokens + i + 1);
      }
      this.finished[request.finishReason]++;
      this.e2eHistogram.observe((performance.now() - request.arrivedAt) / 1000);
      return sample;
    } catch (err) {
      if (signal.aborted) this.finished.abort++;
      throw err;
    } finally {
      this.pool.release(alloc);
      this.scheduler.release();
    }
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
