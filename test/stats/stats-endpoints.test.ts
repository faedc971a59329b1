import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

interface EngineStats {
  engine_id: string;
  healthy: boolean;
  requests: { finished: number; errors: number; in_flight: number; prompt_tokens: number; completion_tokens: number; avg_ttft: number | null; avg_itl: number | null; avg_latency: number | null; qps: number; avg_decoding_length: number | null };
  engine: { flavor: string | null; running: number | null; waiting: number | null; kv_cache_usage: number | null; num_gpu_blocks: number | null; block_size: number | null; prefix_cache_hit_rate: number | null; stale: boolean; stale_reason?: string };
}

describe('per-engine statistics: /stats, /engines, /metrics', () => {
  let vllm: EngineSim;
  let sglang: EngineSim;
  let router: RunningRouter;
  let client: OpenAI;
  const down = 'http://127.0.0.4:9'; // nothing listens there

  const statsOf = async (id: string) => {
    const body = (await getJson(`${router.url}/stats`)).json as { window_seconds: number; engines: EngineStats[] };
    return body.engines.find((e) => e.engine_id === id)!;
  };

  beforeAll(async () => {
    vllm = await startEngineSim({ engineId: 'vllm', host: '127.0.0.2', models: ['m1'], tokenDelayMs: 15, outputTokens: 6, numGpuBlocks: 512 });
    sglang = await startEngineSim({ engineId: 'sglang', host: '127.0.0.3', models: ['m2'], metricsFlavor: 'sglang' });
    router = await startRouter(
      { engines: [{ url: vllm.url, models: ['m1'] }, { url: sglang.url, models: ['m2'] }, { url: down, models: ['m3'] }] },
      // Outlier detection would eject the unreachable engine on its first failed scrape, before the
      // request whose error this suite counts (test/proxy/outlier-detection.test.ts covers that).
      { engineStatsInterval: 0.1, requestStatsWindow: 30, outlierDetection: false },
    );
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([vllm.close(), sglang.close()]);
  });

  it('measures each engine\'s requests: TTFT, inter-token latency, latency and tokens, streamed or not', async () => {
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'count to six' }], stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream) {
      // drain
    }
    const plain = await client.completions.create({ model: 'm1', prompt: 'hello there' });

    const s = await statsOf(vllm.url);
    expect(s.requests).toMatchObject({ finished: 2, errors: 0, in_flight: 0 });
    expect(s.requests.completion_tokens).toBe(12);
    expect(s.requests.prompt_tokens).toBe(vllm.stats.promptTokens);
    expect(plain.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(s.requests.avg_decoding_length).toBe(6);
    expect(s.requests.avg_itl!).toBeGreaterThan(0.01);
    expect(s.requests.avg_itl!).toBeLessThan(0.05);
    expect(s.requests.avg_latency!).toBeGreaterThanOrEqual(s.requests.avg_ttft!);
    expect(s.requests.qps).toBeCloseTo(2 / 30, 6);
  });

  it('scrapes vLLM and SGLang metrics, and says why an engine\'s metrics are stale', async () => {
    // A scrape after the requests above ended (one during them would see one running).
    await eventually(async () => {
      const { engine } = await statsOf(vllm.url);
      return engine.stale === false && engine.running === 0 && (await statsOf(down)).engine.stale_reason !== 'not scraped yet';
    });
    expect((await statsOf(vllm.url)).engine).toMatchObject({ flavor: 'vllm', running: 0, waiting: 0, kv_cache_usage: 0, num_gpu_blocks: 512, block_size: 16 });
    expect((await statsOf(sglang.url)).engine).toMatchObject({ flavor: 'sglang', stale: false });
    expect((await statsOf(down)).engine).toMatchObject({ stale: true, stale_reason: expect.stringMatching(/fetch failed|ECONNREFUSED/) });
  });

  it('shows stats and health on /engines', async () => {
    const engines = (await getJson(`${router.url}/engines`)).json as Array<Record<string, unknown>>;
    expect(engines.find((e) => e.engine_id === vllm.url)).toMatchObject({
      healthy: true,
      health: { checked: false, healthy: true },
      stats: { requests: { finished: 2 }, engine: { flavor: 'vllm' } },
    });
  });

  it('exports per-engine gauges and token counters labelled server, computed at scrape time', async () => {
    const text = await fetch(`${router.url}/metrics`).then((r) => r.text());
    const server = `server="${vllm.url}"`;
    expect(text).toMatch(new RegExp(`vllm:current_qps\\{${server}\\} 0\\.0666`));
    expect(text).toMatch(new RegExp(`vllm:output_tokens_total\\{${server},model="m1"\\} 12`));
    expect(text).toMatch(new RegExp(`vllm:input_tokens_total\\{${server},model="m1"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`vllm:avg_itl\\{${server}\\} 0\\.0[1-4]`));
    expect(text).toMatch(new RegExp(`vllm:healthy_pods_total\\{${server}\\} 1`));
    expect(text).toMatch(new RegExp(`vllm:num_prefill_requests\\{${server}\\} 0`));
    expect(text).toMatch(new RegExp(`vllm_router_engine_metrics_stale\\{server="${down}"\\} 1`));
    for (const name of ['vllm:avg_latency', 'vllm:avg_decoding_length', 'vllm:num_decoding_requests', 'vllm:gpu_prefix_cache_hit_rate']) expect(text).toContain(`${name}{`);
  });

  it('counts an engine that cannot be reached as an error of that engine', async () => {
    await expect(client.chat.completions.create({ model: 'm3', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow();
    expect((await statsOf(down)).requests).toMatchObject({ finished: 1, errors: 1, in_flight: 0 });
  });
});
