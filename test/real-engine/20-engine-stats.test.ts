/**
 * What the router reads from a real vLLM's /metrics, checked against the engine's own numbers;
 * prefix-aware routing following the engine's real prefix cache; a client that leaves aborting
 * the engine's work.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { eventually, getJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { engineState, settledEngineState } from './harness/engine-metrics.js';
import { generationOf } from './harness/engine-process.js';
import { engine, routerLog } from './harness/pool.js';

interface EngineView {
  engine_id: string;
  stats: {
    requests: { lifetime: { finished: number } };
    engine: {
      flavor: string;
      running: number;
      waiting: number;
      kv_cache_usage: number;
      prefix_cache_hits: number;
      prefix_cache_queries: number;
      block_size: number;
      num_gpu_blocks: number;
      stale: boolean;
    };
  };
}

/** About 500 tokens of the tiny model's tokenizer (trained on Python sources): several 128-token blocks. */
const LONG_PROMPT = Array.from({ length: 18 }, (_, i) => `def handler_${i}(request, context):\n    return respond(request.path, status=${200 + i})\n`).join('');

describe('engine stats from real vLLM metrics', () => {
  let router: RunningRouter;
  const routerView = async (id: string) => ((await getJson(`${router.url}/engines`)).json as EngineView[]).find((e) => e.engine_id === id)!;
  const view = async (id: string) => (await routerView(id)).stats.engine;

  beforeAll(async () => {
    router = await startRouter(
      { engines: [{ id: 'a', url: engine('a').url, models: ['tiny'] }, { id: 'b', url: engine('b').url, models: ['tiny'] }], routingLogic: 'prefixaware', logger: routerLog('stats') },
      // The tests scrape when they need to (scrapeAll); 5 s apart, each scrape may take 5 s: a busy
      // machine slows vLLM's /metrics past 1 s, which would eject an engine as slow mid-test.
      { engineStatsInterval: 5, firstByteTimeoutMs: 120_000 },
    );
  });

  afterAll(async () => router?.close());

  it('/engines shows what each engine\'s own /metrics says: running, waiting, KV use, prefix-cache hits and queries, block size and count', async () => {
    for (const id of ['a', 'b']) {
      const own = await engineState(engine(id).url);
      await router.app.stats.scraper.scrapeAll();
      const seen = await view(id);
      expect(seen).toMatchObject({
        flavor: 'vllm',
        stale: false,
        running: own.running,
        waiting: own.waiting,
        kv_cache_usage: own.kvUsage,
        prefix_cache_hits: own.prefixHits,
        prefix_cache_queries: own.prefixQueries,
        block_size: own.blockSize,
        num_gpu_blocks: own.numGpuBlocks,
      });
      expect(own.blockSize).toBe(128);
      expect(own.numGpuBlocks).toBe(4096); // 1 GiB of float32 KV cache
    }
  });

  it('sees requests running and waiting at the engine while they are (max-num-seqs 4)', async () => {
    const controller = new AbortController();
    // Pinned to engine a: 4 run and 36 wait. The tiny model writes 900 tokens in about a second on an
    // idle machine, so the queue stays long for a few batches. Not streamed: 12 streams keep vLLM's API
    // server (on the engine's one core) so busy that /metrics answers seconds late.
    const REQUESTS = 40;
    const url = `${router.url}/v1/completions?id=a`;
    const calls = Array.from({ length: REQUESTS }, (_, i) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny', prompt: `long ${i}`, max_tokens: 900, ignore_eos: true }),
        signal: controller.signal,
      }).then(
        // Keep reading: a client that stops would cut its request (the router aborts it at the engine).
        async (r) => {
          const reader = r.body?.getReader();
          while (reader && !(await reader.read().catch(() => ({ done: true }))).done);
        },
        () => undefined,
      ),
    );
    const generation = generationOf(engine('a'));
    try {
      // Once the engine shows a queue, freeze its generation (the API server runs on): its counts
      // hold still, so the router's scrape must read exactly what the engine says before and after.
      // (While the engine runs, a busy machine delays vLLM's /metrics answers past the queue's end.)
      await eventually(async () => ((await engineState(engine('a').url)).waiting ?? 0) >= 2, 60_000, 20);
      generation.pause(true);
      const own = await engineState(engine('a').url);
      await router.app.stats.scraper.scrapeAll();
      const seen = await view('a');
      const after = await engineState(engine('a').url);
      expect({ running: seen.running, waiting: seen.waiting }).toEqual({ running: own.running, waiting: own.waiting });
      expect({ running: after.running, waiting: after.waiting }).toEqual({ running: own.running, waiting: own.waiting });
      expect(own.running).toBe(4);
      expect(seen.waiting).toBeGreaterThanOrEqual(1);
      expect(seen.kv_cache_usage).toBeGreaterThan(0);
    } finally {
      generation.pause(false);
      controller.abort();
      await Promise.all(calls);
      // The next tests start from an idle engine, whatever happened here.
    await eventually(async () => (await engineState(engine('a').url)).running === 0, 60_000, 200);
    }
  });

  it('sends a repeated long prompt to one engine, whose prefix-cache hits rise while the other\'s stay', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });
    // Served: counted by the router as it finished them (vLLM's own success counter lags on a busy
    // machine, and still counts answers to the previous test's requests for a while).
    const finished = async () => Promise.all(['a', 'b'].map(async (id) => (await routerView(id)).stats.requests.lifetime.finished));
    const before = await Promise.all([settledEngineState(engine('a').url), settledEngineState(engine('b').url)]);
    const finishedBefore = await finished();
    const first = await client.completions.create({ model: 'tiny', prompt: LONG_PROMPT, max_tokens: 1 });
    const promptTokens = first.usage!.prompt_tokens;
    expect(promptTokens).toBeGreaterThan(3 * 128);
    for (let i = 0; i < 3; i++) await client.completions.create({ model: 'tiny', prompt: LONG_PROMPT, max_tokens: 1 });
    const after = await Promise.all([engineState(engine('a').url), engineState(engine('b').url)]);
    const hits = after.map((s, i) => s.prefixHits! - before[i]!.prefixHits!);
    const served = (await finished()).map((n, i) => n - finishedBefore[i]!);
    // All four on one engine, and each repeat finds every full block of the prompt cached there
    // (vLLM keeps the last token to compute); one expectation, so a failure shows the whole split.
    const owner = served[0] === 4 ? 0 : 1;
    const cached = 3 * Math.floor((promptTokens - 1) / 128) * 128;
    expect({ served, hits }).toEqual({ served: owner === 0 ? [4, 0] : [0, 4], hits: owner === 0 ? [cached, 0] : [0, cached] });
  });

  it('aborts the engine\'s request when the client leaves: vLLM\'s running count falls at once', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });
    const before = await settledEngineState(engine('b').url);
    // While vLLM streams, its /metrics may answer only once the answer is done: the generation is
    // frozen after the first chunk (the API server runs on), so the answer can't end on its own.
    const generation = generationOf(engine('b'));
    const controller = new AbortController();
    const stream = await client.completions.create(
      { model: 'tiny', prompt: 'while True:', max_tokens: 900, stream: true, ignore_eos: true } as OpenAI.CompletionCreateParamsStreaming,
      { signal: controller.signal, query: { id: 'b' } },
    );
    const reader = stream[Symbol.asyncIterator]();
    await reader.next();
    generation.pause(true);
    let abortedAt: number;
    try {
      // vLLM updates its gauges from the scheduler's stats, a step or so after the first token.
      await eventually(async () => (await engineState(engine('b').url)).running === 1, 10_000, 50);
      abortedAt = Date.now();
      controller.abort();
      await reader.next().catch(() => undefined);
    } finally {
      generation.pause(false);
    }
    await eventually(async () => (await engineState(engine('b').url)).running === 0, 10_000, 50);
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    // Cut, not finished: vLLM counts no success for it.
    expect((await engineState(engine('b').url)).succeeded).toBe(before.succeeded);
  });
});
