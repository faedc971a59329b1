import type { EngineSignals, EngineSignalView } from '../routing/policies/policy.js';
import type { RoutingTable } from '@vllm-router/common/routing-table';
import { EngineScraper, type MetricsFetcher, type ScrapeFailureKind } from './engine-scraper.js';
import { isExternalEngine } from '../providers/external-providers.js';
import { RequestStats } from './request-stats.js';

export interface StatsServiceOptions {
  /** --request-stats-window, seconds. */
  windowSeconds: number;
  /** --engine-stats-interval, seconds. */
  scrapeIntervalSeconds: number;
  scrapeTimeoutMs?: number;
  fetch?: MetricsFetcher;
  /** A scrape failed (see EngineScraperOptions.onFailure). */
  onScrapeFailure?: (engineId: string, reason: string, kind: ScrapeFailureKind) => void;
  /** Monotonic milliseconds for request timing (default performance.now). */
  now?: () => number;
  /** Wall-clock milliseconds for scrape times (default Date.now). */
  wallNow?: () => number;
}

/** Scraped engine metrics as /stats and /engines show them. */
export interface EngineStatsView {
  flavor: string | null;
  running: number | null;
  waiting: number | null;
  kv_cache_usage: number | null;
  prefix_cache_hit_rate: number | null;
  /** The engine's cumulative prefix-cache counters (vLLM: prompt tokens looked up, and found). */
  prefix_cache_queries: number | null;
  prefix_cache_hits: number | null;
  block_size: number | null;
  num_gpu_blocks: number | null;
  scraped_at: string | null;
  stale: boolean;
  stale_reason?: string;
}

/**
 * Everything the router knows about engines' load: request statistics measured here and metrics
 * scraped from the engines. Policies read it through EngineSignalView (fresh signals only).
 */
export class StatsService implements EngineSignalView {
  readonly requests: RequestStats;
  readonly scraper: EngineScraper;
  private readonly maxAgeMs: number;
  private readonly wallNow: () => number;

  constructor(options: StatsServiceOptions) {
    const intervalMs = options.scrapeIntervalSeconds * 1000;
    this.wallNow = options.wallNow ?? Date.now;
    this.requests = new RequestStats({ windowSeconds: options.windowSeconds, ...(options.now ? { now: options.now } : {}) });
    this.scraper = new EngineScraper({
      intervalMs,
      now: this.wallNow,
      ...(options.scrapeTimeoutMs !== undefined ? { timeoutMs: options.scrapeTimeoutMs } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.onScrapeFailure ? { onFailure: options.onScrapeFailure } : {}),
    });
    // Metrics older than three intervals no longer describe the engine (a scrape round is stuck).
    this.maxAgeMs = 3 * intervalMs + 1000;
  }

  /** Follow the routing table: scrape its engines, drop the stats of engines that left. */
  setTable(table: RoutingTable): void {
    // External providers (hosted APIs) publish no engine metrics.
    this.scraper.setTargets(table.engines.filter((e) => !isExternalEngine(e)).map((e) => ({ id: e.id, url: e.url })));
    this.requests.retain(new Set(table.engines.map((e) => e.id)));
  }

  signals(engineId: string): EngineSignals | undefined {
    const s = this.scraper.get(engineId);
    const m = s?.metrics;
    if (!s || s.stale || !m || s.scrapedAt === undefined || this.wallNow() - s.scrapedAt > this.maxAgeMs) return undefined;
    const out: EngineSignals = { running: m.running ?? 0, waiting: m.waiting ?? 0, kvUsage: m.kvUsage ?? 0 };
    if (m.blockSize !== undefined && m.numGpuBlocks !== undefined) out.kvCapacityTokens = m.blockSize * m.numGpuBlocks;
    return out;
  }

  engineView(engineId: string): EngineStatsView {
    const s = this.scraper.get(engineId);
    const m = s?.metrics;
    return {
      flavor: m?.flavor ?? null,
      running: m?.running ?? null,
      waiting: m?.waiting ?? null,
      kv_cache_usage: m?.kvUsage ?? null,
      prefix_cache_hit_rate: s?.prefixCacheHitRate ?? null,
      prefix_cache_queries: m?.prefixCacheQueries ?? null,
      prefix_cache_hits: m?.prefixCacheHits ?? null,
      block_size: m?.blockSize ?? null,
      num_gpu_blocks: m?.numGpuBlocks ?? null,
      scraped_at: s?.scrapedAt !== undefined ? new Date(s.scrapedAt).toISOString() : null,
      stale: s?.stale ?? true,
      ...(s?.staleReason ? { stale_reason: s.staleReason } : s ? {} : { stale_reason: 'not in the routing table' }),
    };
  }

  start(): void {
    this.scraper.start();
  }

  stop(): void {
    this.scraper.stop();
  }
}
