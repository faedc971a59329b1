import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { parsePrometheus, type PromSample } from '../sim/prom-parse.js';
import { eventually, getJson } from '../helpers/http.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { perfTestLine } from './command-lines.js';
import { NOT_EXPORTED, REFERENCE_LATENCY_BUCKETS, REFERENCE_LATENCY_STATUSES, REFERENCE_METRICS } from './reference-metrics.js';
import { REFERENCE_QUERIES, TARGET_LABELS } from './reference-queries.js';

const MODEL = 'fake_model_name';
const DEAD = 'http://127.0.0.9:9';

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

describe("/metrics as the reference's dashboards, prometheus-adapter rules and KEDA scalers read it", () => {
  let engines: EngineSim[];
  let router: RouterProcess;
  let types: Map<string, string>;
  let samples: PromSample[];
  const series = (name: string) => samples.filter((s) => s.name === name || s.name.startsWith(`${name}_`) && types.get(name) === 'histogram');

  beforeAll(async () => {
    engines = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((host, i) => startEngineSim({ engineId: `e${i}`, host, models: [MODEL], tokenDelayMs: 5 })));
    // perf-test.sh's command line, with one of its four backends down.
    router = await spawnRouter(perfTestLine(0, [...engines.map((e) => e.url), DEAD]));
    const chat = `${router.url}/v1/chat/completions`;
    const message = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] };
    for (let i = 0; i < 4; i++) expect(await post(chat, message, { 'x-user-id': `user-${i}` })).toBe(200);
    expect(await post(chat, { ...message, stream: true, stream_options: { include_usage: true } }, { 'x-user-id': 'streamer' })).toBe(200);
    // A client error the engine refuses (bad max_tokens), an engine failure, an unreachable engine.
    expect(await post(`${chat}?id=${encodeURIComponent(engines[0]!.url)}`, { ...message, max_tokens: 0 })).toBe(400);
    engines[1]!.setFailure({ errorRate: 1 });
    expect(await post(`${chat}?id=${encodeURIComponent(engines[1]!.url)}`, message)).toBe(500);
    engines[1]!.setFailure({ errorRate: 0 });
    expect(await post(`${chat}?id=${encodeURIComponent(DEAD)}`, message)).toBe(502);
    // A scrape after the engines' own /metrics were read once (prefix-cache counters).
    await eventually(async () => ((await getJson(`${router.url}/stats`)).json as { engines: Array<{ engine: { stale: boolean } }> }).engines.filter((e) => !e.engine.stale).length === 3, 15_000);
    const parsed = parsePrometheus(await fetch(`${router.url}/metrics`).then((r) => r.text()));
    types = parsed.types;
    samples = parsed.samples;
  }, 30_000);

  afterAll(async () => {
    await router?.stop();
    await Promise.all(engines.map((e) => e.close()));
  });

  it.each(REFERENCE_METRICS.map((m) => [m.name, m] as const))('exports %s with the reference\'s type and labels', (name, metric) => {
    expect(types.get(name)).toBe(metric.type);
    const found = series(name);
    if (metric.neverSet) {
      expect(found).toEqual([]);
      return;
    }
    expect(found.length).toBeGreaterThan(0);
    for (const s of found) expect(Object.keys(s.labels).filter((l) => l !== 'le').sort()).toEqual([...metric.labels].sort());
  });

  it('buckets request latency as the reference, with its status values', () => {
    const buckets = series('vllm:request_latency_seconds').filter((s) => s.name.endsWith('_bucket'));
    expect([...new Set(buckets.map((s) => s.labels.le))]).toEqual(REFERENCE_LATENCY_BUCKETS);
    const statuses = new Set(buckets.map((s) => s.labels.status));
    expect([...statuses].sort()).toEqual([...REFERENCE_LATENCY_STATUSES].sort());
  });

  it('counts engine errors by class: the 4xx client error, the 5xx answer and the unreachable engine apart', () => {
    const errors = series('vllm:request_errors_total').map((s) => [s.labels.server, s.labels.error_type, s.value]);
    expect(errors).toEqual(
      expect.arrayContaining([
        [engines[0]!.url, 'http_4xx', 1],
        [engines[1]!.url, 'http_5xx', 1],
        // Also any session request that hashed to it before failing over.
        [DEAD, 'connect_error', expect.any(Number)],
      ]),
    );
    expect(series('vllm:request_errors_total').every((s) => s.labels.model === MODEL)).toBe(true);
  });

  it('counts the 4xx in /stats as a client error, apart from engine errors', async () => {
    const stats = (await getJson(`${router.url}/stats`)).json as { engines: Array<{ url: string; requests: { errors: number; client_errors: number } }> };
    const of = (url: string) => stats.engines.find((e) => e.url === url)!.requests;
    expect(of(engines[0]!.url)).toMatchObject({ client_errors: 1, errors: 0 });
    expect(of(engines[1]!.url)).toMatchObject({ client_errors: 0, errors: 1 });
    expect(of(DEAD).errors).toBeGreaterThanOrEqual(1);
  });

  it('gives avg_itl and the prefix-cache hit rate a value for every engine, as the reference does', () => {
    for (const e of engines) {
      expect(series('vllm:avg_itl').some((s) => s.labels.server === e.url)).toBe(true);
      expect(series('vllm:gpu_prefix_cache_hit_rate').some((s) => s.labels.server === e.url)).toBe(true);
    }
    // Streamed answers give a measured inter-token latency; -1 stands for none measured.
    expect(series('vllm:avg_itl').some((s) => s.value > 0)).toBe(true);
  });

  it("re-exports the engines' prefix-cache counters per server, as scraped", async () => {
    const stats = (await getJson(`${router.url}/stats`)).json as { engines: Array<{ url: string; engine: { prefix_cache_queries: number | null; prefix_cache_hits: number | null } }> };
    for (const e of engines) {
      const scraped = stats.engines.find((r) => r.url === e.url)!.engine;
      expect(scraped.prefix_cache_queries).not.toBeNull();
      expect(series('vllm:gpu_prefix_cache_queries_total').find((s) => s.labels.server === e.url)?.value).toBe(scraped.prefix_cache_queries);
      expect(series('vllm:gpu_prefix_cache_hits_total').find((s) => s.labels.server === e.url)?.value).toBe(scraped.prefix_cache_hits);
    }
  });

  it('keeps metrics of its own under the vllm_router_ prefix, and none the reference would not show', () => {
    const reference = new Set(REFERENCE_METRICS.map((m) => m.name));
    const ours = [...types.keys()].filter((name) => !reference.has(name));
    expect(ours.filter((name) => !name.startsWith('vllm_router_'))).toEqual([]);
    for (const { names } of NOT_EXPORTED) for (const name of names) expect(types.has(name)).toBe(false);
  });

  it.each(REFERENCE_QUERIES.map((q) => [q.where, q] as const))('answers the query of %s', (_where, query) => {
    for (const name of query.reads) {
      expect(series(name).length).toBeGreaterThan(0);
      const labels = new Set(Object.keys(series(name)[0]!.labels));
      const used = [
        ...[...query.expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
        ...[...query.expr.matchAll(new RegExp(`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{([^}]*)\\}`, 'g'))].flatMap((m) => [...m[1]!.matchAll(/(\w+)\s*=/g)].map((l) => l[1]!)),
      ].filter((l) => l !== '');
      for (const label of used) expect(labels.has(label) || TARGET_LABELS.has(label)).toBe(true);
    }
  });
});
