import { describe, expect, it } from '@jest/globals';
import { EngineScraper, type MetricsFetcher } from './engine-scraper.js';

const vllm = (running: number, hits = 0, queries = 0) =>
  `vllm:num_requests_running{model_name="m"} ${running}\nvllm:prefix_cache_hits_total{model_name="m"} ${hits}\nvllm:prefix_cache_queries_total{model_name="m"} ${queries}\n`;

/** A fetcher answering from a table: text, an error, or never. */
function fakeFetch(answers: Record<string, string | Error | 'hang'>): MetricsFetcher & { calls: string[] } {
  const calls: string[] = [];
  const fetcher = async (url: string) => {
    calls.push(url);
    const a = answers[url];
    if (a === 'hang') return new Promise<string>(() => undefined);
    if (a instanceof Error) throw a;
    if (a === undefined) throw new Error('HTTP 404');
    return a;
  };
  return Object.assign(fetcher, { calls });
}

const targets = (...urls: string[]) => urls.map((url) => ({ id: url, url }));

describe('engine metrics scraper', () => {
  it('reads every engine in one round and keeps what it read, with the time', async () => {
    const fetch = fakeFetch({ a: vllm(2), b: vllm(5) });
    const scraper = new EngineScraper({ intervalMs: 1000, fetch, now: () => 1_700_000_000_000 });
    scraper.setTargets(targets('a', 'b'));
    await scraper.scrapeAll();
    expect(fetch.calls.sort()).toEqual(['a', 'b']);
    expect(scraper.get('a')).toMatchObject({ stale: false, failures: 0, scrapedAt: 1_700_000_000_000, metrics: { flavor: 'vllm', running: 2 } });
    expect(scraper.get('b')?.metrics?.running).toBe(5);
  });

  it('marks an engine that answers badly stale with the reason, and keeps its last good metrics', async () => {
    const answers: Record<string, string | Error | 'hang'> = { a: vllm(1) };
    const scraper = new EngineScraper({ intervalMs: 1000, fetch: fakeFetch(answers) });
    scraper.setTargets(targets('a', 'gone'));
    await scraper.scrapeAll();
    expect(scraper.get('gone')).toMatchObject({ stale: true, staleReason: 'HTTP 404', failures: 1 });

    answers.a = new Error('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    await scraper.scrapeAll();
    expect(scraper.get('a')).toMatchObject({ stale: true, staleReason: 'fetch failed (ECONNREFUSED)', metrics: { running: 1 } });
  });

  it('gives up on an engine that does not answer within the timeout, without holding up the others', async () => {
    const scraper = new EngineScraper({ intervalMs: 1000, timeoutMs: 30, fetch: fakeFetch({ slow: 'hang', fast: vllm(1) }) });
    scraper.setTargets(targets('slow', 'fast'));
    const started = performance.now();
    await scraper.scrapeAll();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(scraper.get('slow')).toMatchObject({ stale: true, staleReason: 'timed out after 30 ms' });
    expect(scraper.get('fast')?.stale).toBe(false);
  });

  it('tells a refused scrape (unreachable) from one that is only slow', async () => {
    const refused = new Error('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const kinds: Record<string, string> = {};
    const scraper = new EngineScraper({
      intervalMs: 1000,
      timeoutMs: 30,
      fetch: fakeFetch({ down: refused, busy: 'hang' }),
      onFailure: (id, _reason, kind) => (kinds[id] = kind),
    });
    scraper.setTargets(targets('down', 'busy'));
    await scraper.scrapeAll();
    expect(kinds).toEqual({ down: 'unreachable', busy: 'slow' });
  });

  it('calls metrics without vLLM or SGLang series stale', async () => {
    const scraper = new EngineScraper({ intervalMs: 1000, fetch: fakeFetch({ a: 'process_cpu_seconds_total 1\n' }) });
    scraper.setTargets(targets('a'));
    await scraper.scrapeAll();
    expect(scraper.get('a')).toMatchObject({ stale: true, staleReason: 'no vLLM or SGLang metrics found at /metrics' });
  });

  it('drops engines that leave the table, and starts over for an engine whose URL changed', async () => {
    const fetch = fakeFetch({ a: vllm(1), b: vllm(1), c: vllm(1) });
    const scraper = new EngineScraper({ intervalMs: 1000, fetch });
    scraper.setTargets(targets('a', 'b'));
    await scraper.scrapeAll();
    scraper.setTargets([{ id: 'a', url: 'c' }]);
    expect(scraper.all().map((e) => e.engineId)).toEqual(['a']);
    expect(scraper.get('a')).toMatchObject({ url: 'c', stale: true, staleReason: 'not scraped yet' });
    fetch.calls.length = 0;
    await scraper.scrapeAll();
    expect(fetch.calls).toEqual(['c']);
  });

  it('computes the prefix-cache hit rate over the last interval from the token counters', async () => {
    const answers: Record<string, string | Error | 'hang'> = { a: vllm(0, 50, 100) };
    const scraper = new EngineScraper({ intervalMs: 1000, fetch: fakeFetch(answers) });
    scraper.setTargets(targets('a'));
    await scraper.scrapeAll();
    expect(scraper.get('a')?.prefixCacheHitRate).toBe(0.5); // cumulative on the first scrape
    answers.a = vllm(0, 140, 200);
    await scraper.scrapeAll();
    expect(scraper.get('a')?.prefixCacheHitRate).toBe(0.9); // 90 of the last 100
    await scraper.scrapeAll();
    expect(scraper.get('a')?.prefixCacheHitRate).toBe(0.9); // no traffic: unchanged
  });

  it('scrapes every interval once started, and stops', async () => {
    const fetch = fakeFetch({ a: vllm(1) });
    const scraper = new EngineScraper({ intervalMs: 15, fetch });
    scraper.setTargets(targets('a'));
    scraper.start();
    await new Promise((r) => setTimeout(r, 100));
    scraper.stop();
    const rounds = fetch.calls.length;
    expect(rounds).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(fetch.calls.length).toBe(rounds);
  });
});
