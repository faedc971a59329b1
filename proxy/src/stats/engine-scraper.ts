import { parseEngineMetrics, type EngineMetrics } from './engine-metrics.js';

/** GETs `<url>/metrics` and resolves with the body; rejects on a non-200 answer or after `timeoutMs`. */
export type MetricsFetcher = (engineUrl: string, timeoutMs: number) => Promise<string>;

export interface ScrapeTarget {
  id: string;
  url: string;
}

/** The last thing known about one engine's metrics. */
export interface EngineScrape {
  engineId: string;
  url: string;
  /** The last metrics read successfully (kept while stale, so /stats still shows them). */
  metrics?: EngineMetrics;
  /** Prefix-cache hit rate over the last scrape interval (token counters), else the engine's own rate. */
  prefixCacheHitRate?: number;
  /** Epoch ms of the last successful scrape. */
  scrapedAt?: number;
  /** True until a first successful scrape, and whenever the last one failed. */
  stale: boolean;
  staleReason?: string;
  failures: number;
}

export interface EngineScraperOptions {
  intervalMs: number;
  /** Per-request timeout; default min(intervalMs, 5 s). */
  timeoutMs?: number;
  fetch?: MetricsFetcher;
  now?: () => number;
  /** A scrape failed, and how (see ScrapeFailureKind). */
  onFailure?: (engineId: string, reason: string, kind: ScrapeFailureKind) => void;
}

/**
 * How a scrape failed: `answered` (a status below 500: a backend without /metrics, nothing against
 * routing to it), `slow` (no answer within the timeout: a busy engine's API server can be slow to
 * serve /metrics while it serves requests well), `unreachable` (refused, reset, 5xx).
 */
export type ScrapeFailureKind = 'answered' | 'slow' | 'unreachable';

function failureKind(err: unknown): ScrapeFailureKind {
  if (err instanceof MetricsHttpStatus && err.status < 500) return 'answered';
  // Duck-typed like describeFailure: fetch's errors may come from another realm.
  const name = typeof err === 'object' && err !== null && 'name' in err ? (err as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError' ? 'slow' : 'unreachable';
}

/** /metrics answered with a status other than 200. */
export class MetricsHttpStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Socket errors of a kept-alive connection the engine closed as the request went out (not a refusal). */
const BROKEN_CONNECTION_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function brokeOnConnection(err: unknown): boolean {
  const cause = typeof err === 'object' && err !== null && 'cause' in err ? (err as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && BROKEN_CONNECTION_CODES.has(code);
}

async function readMetrics(url: string, signal: AbortSignal, headers?: Record<string, string>): Promise<string> {
  const response = await fetch(url, { signal, ...(headers ? { headers } : {}) });
  const text = await response.text();
  if (response.status !== 200) throw new MetricsHttpStatus(response.status);
  return text;
}

/**
 * GET /metrics. A pooled connection the engine closed just as the scrape went out (vLLM's server
 * drops idle ones, a busy one sooner than its timeout) is tried once more on a new connection: only
 * a second failure says the engine is unreachable, since that ejects it from routing at once.
 */
export const fetchMetricsText: MetricsFetcher = async (engineUrl, timeoutMs) => {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await readMetrics(`${engineUrl}/metrics`, signal);
  } catch (err) {
    if (!brokeOnConnection(err)) throw err;
    return readMetrics(`${engineUrl}/metrics`, signal, { connection: 'close' });
  }
};

/**
 * Scrapes every engine's Prometheus /metrics in parallel, every intervalMs, each with a timeout.
 * An engine that can't be read is marked stale with the reason; nothing it does can stop the loop.
 * Engines that leave the routing table are dropped.
 */
export class EngineScraper {
  private readonly engines = new Map<string, EngineScrape>();
  private readonly fetchText: MetricsFetcher;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private previousCounters = new Map<string, { hits: number; queries: number }>();

  constructor(private readonly options: EngineScraperOptions) {
    this.fetchText = options.fetch ?? fetchMetricsText;
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? Math.min(options.intervalMs, 5000);
  }

  /** Follow the routing table: new engines are scraped from the next round, gone ones are forgotten. */
  setTargets(targets: readonly ScrapeTarget[]): void {
    const keep = new Set<string>();
    for (const t of targets) {
      keep.add(t.id);
      const known = this.engines.get(t.id);
      if (known && known.url === t.url) continue;
      this.engines.set(t.id, { engineId: t.id, url: t.url, stale: true, staleReason: 'not scraped yet', failures: 0 });
      this.previousCounters.delete(t.id);
    }
    for (const id of this.engines.keys())
      if (!keep.has(id)) {
        this.engines.delete(id);
        this.previousCounters.delete(id);
      }
  }

  get(engineId: string): EngineScrape | undefined {
    return this.engines.get(engineId);
  }

  all(): EngineScrape[] {
    return [...this.engines.values()];
  }

  /** One round over every engine; concurrent calls share the round in progress. */
  scrapeAll(): Promise<void> {
    this.round ??= Promise.allSettled(this.all().map((e) => this.scrapeOne(e))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  start(): void {
    if (this.timer) return;
    void this.scrapeAll();
    this.timer = setInterval(() => void this.scrapeAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async scrapeOne(entry: EngineScrape): Promise<void> {
    let metrics: EngineMetrics;
    try {
      metrics = parseEngineMetrics(await withTimeout(this.fetchText(entry.url, this.timeoutMs), this.timeoutMs));
    } catch (err) {
      if (this.engines.get(entry.engineId) !== entry) return; // left the table meanwhile
      entry.stale = true;
      entry.failures++;
      entry.staleReason = describeFailure(err, this.timeoutMs);
      this.options.onFailure?.(entry.engineId, entry.staleReason, failureKind(err));
      return;
    }
    if (this.engines.get(entry.engineId) !== entry) return;
    entry.metrics = metrics;
    entry.prefixCacheHitRate = this.hitRate(entry.engineId, metrics);
    entry.scrapedAt = this.now();
    entry.failures = 0;
    if (metrics.flavor === 'unknown') {
      entry.stale = true;
      entry.staleReason = 'no vLLM or SGLang metrics found at /metrics';
    } else {
      entry.stale = false;
      delete entry.staleReason;
    }
  }

  /** Hit rate since the previous scrape from the token counters; the engine's own gauge otherwise. */
  private hitRate(engineId: string, m: EngineMetrics): number | undefined {
    if (m.prefixCacheHits === undefined || m.prefixCacheQueries === undefined) return m.prefixCacheHitRate;
    const before = this.previousCounters.get(engineId);
    this.previousCounters.set(engineId, { hits: m.prefixCacheHits, queries: m.prefixCacheQueries });
    const queries = m.prefixCacheQueries - (before?.queries ?? 0);
    const hits = m.prefixCacheHits - (before?.hits ?? 0);
    if (before && queries > 0 && hits >= 0) return hits / queries;
    if (before && queries === 0) return this.engines.get(engineId)?.prefixCacheHitRate;
    // First scrape, or the counters went back (engine restart): the cumulative ratio.
    return m.prefixCacheQueries > 0 ? m.prefixCacheHits / m.prefixCacheQueries : undefined;
  }
}

class ScrapeTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/** The fetcher is asked to time out; this makes sure a round never waits longer, whatever it does. */
function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScrapeTimeout()), timeoutMs + 50);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function describeFailure(err: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (Jest's VM), where instanceof fails.
  if (typeof err === 'object' && err !== null && 'message' in err) {
    const e = err as { name?: unknown; message: unknown; cause?: { code?: unknown; message?: unknown } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
    const code = e.cause && typeof e.cause === 'object' ? (e.cause.code ?? e.cause.message) : undefined;
    return code !== undefined ? `${String(e.message)} (${String(code)})` : String(e.message);
  }
  return String(err);
}
