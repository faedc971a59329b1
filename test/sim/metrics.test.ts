import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from './index.js';
import { parsePrometheus, sampleValue } from './prom-parse.js';
import { httpCall, postJson, streamSse, waitFor } from './test-client.js';

interface Completion {
  usage: { prompt_tokens: number; completion_tokens: number };
}

describe('vllm-engine-sim /metrics', () => {
  let sim: EngineSim | undefined;
  afterEach(() => sim?.close());

  const scrape = async (s: EngineSim) => {
    const res = await httpCall(`${s.url}/metrics`);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(res.text);
  };

  it('exposes the vLLM metric names, labeled with the served model name, in valid Prometheus text', async () => {
    const s = (sim = await startEngineSim({ models: ['llama', 'llama-lora'], outputTokens: 3 }));
    const prompt = 'p'.repeat(4 * 40);
    const first = await postJson<Completion>(`${s.url}/v1/completions`, { model: 'llama-lora', prompt });
    await postJson(`${s.url}/v1/completions`, { model: 'llama-lora', prompt, max_tokens: 2 });

    const { types, samples } = await scrape(s);
    expect(Object.fromEntries(types)).toMatchObject({
      'vllm:num_requests_running': 'gauge',
      'vllm:num_requests_waiting': 'gauge',
      'vllm:kv_cache_usage_perc': 'gauge',
      'vllm:prefix_cache_queries_total': 'counter',
      'vllm:prefix_cache_hits_total': 'counter',
      'vllm:cache_config_info': 'gauge',
      'vllm:prompt_tokens_total': 'counter',
      'vllm:generation_tokens_total': 'counter',
      'vllm:request_success_total': 'counter',
      'vllm:time_to_first_token_seconds': 'histogram',
    });
    // As in vLLM, series carry the first served name whichever model a request named.
    const m = { model_name: 'llama' };
    expect(sampleValue(samples, 'vllm:cache_config_info', { block_size: '16', num_gpu_blocks: '2048' })).toBe(1);
    expect(sampleValue(samples, 'vllm:prompt_tokens_total', m)).toBe(2 * first.json.usage.prompt_tokens);
    expect(sampleValue(samples, 'vllm:generation_tokens_total', m)).toBe(3 + 2);
    expect(sampleValue(samples, 'vllm:prefix_cache_queries_total', m)).toBe(80);
    // 40 tokens hold 2 full blocks of 16; the repeat found both.
    expect(sampleValue(samples, 'vllm:prefix_cache_hits_total', m)).toBe(32);
    expect(sampleValue(samples, 'vllm:request_success_total', { ...m, finished_reason: 'stop' })).toBe(1);
    expect(sampleValue(samples, 'vllm:request_success_total', { ...m, finished_reason: 'length' })).toBe(1);
    expect(sampleValue(samples, 'vllm:time_to_first_token_seconds_count', m)).toBe(2);
    expect(sampleValue(samples, 'vllm:time_to_first_token_seconds_bucket', { ...m, le: '+Inf' })).toBe(2);
    expect(sampleValue(samples, 'vllm:kv_cache_usage_perc', m)).toBe(0);
  });

  it('reports KV-cache usage for running requests under vLLM\'s current name only', async () => {
    const s = (sim = await startEngineSim({ numGpuBlocks: 100, tokenDelayMs: 50, outputTokens: 10 }));
    const stream = streamSse(`${s.url}/v1/completions`, { prompt: 'q'.repeat(4 * 160), stream: true });
    await waitFor(() => s.stats.generationTokens > 0);

    const { samples } = await scrape(s);
    const usage = sampleValue(samples, 'vllm:kv_cache_usage_perc');
    // 160 prompt tokens + the first output token = 11 blocks of 16 out of 100.
    expect(usage).toBeCloseTo(0.11);
    // Gone from vLLM (0.32 exports only kv_cache_usage_perc); the sim follows.
    expect(samples.some((x) => x.name === 'vllm:gpu_cache_usage_perc')).toBe(false);
    expect(sampleValue(samples, 'vllm:num_requests_running')).toBe(1);
    await s.close();
    await stream;
  });

  it('uses SGLang names with metricsFlavor "sglang"', async () => {
    const s = (sim = await startEngineSim({ metricsFlavor: 'sglang', models: ['qwen'], outputTokens: 1 }));
    const prompt = 'z'.repeat(4 * 33);
    await postJson(`${s.url}/v1/completions`, { prompt });
    await postJson(`${s.url}/v1/completions`, { prompt });

    const { types, samples } = await scrape(s);
    expect([...types.keys()].some((name) => name.startsWith('vllm:'))).toBe(false);
    const m = { model_name: 'qwen' };
    expect(sampleValue(samples, 'sglang:num_running_reqs', m)).toBe(0);
    expect(sampleValue(samples, 'sglang:num_queue_reqs', m)).toBe(0);
    expect(sampleValue(samples, 'sglang:token_usage', m)).toBe(0);
    // 66 tokens queried, 32 hit (2 blocks of the 33-token prompt on the second request).
    expect(sampleValue(samples, 'sglang:cache_hit_rate', m)).toBeCloseTo(32 / 66);
  });
});
