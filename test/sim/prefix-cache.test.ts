import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from './index.js';
import { postJson } from './test-client.js';

interface Completion {
  usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

describe('vllm-engine-sim prefix cache', () => {
  let sim: EngineSim | undefined;
  afterEach(() => sim?.close());

  // 1000 tokens at 4 characters per token; distinct per seed so tests do not share blocks.
  const longPrompt = (seed: string, tokens = 1000) => `${seed}:`.padEnd(tokens * 4, `${seed} lorem ipsum `);

  it('serves a repeated long prompt from cache: hits counted, TTFT much lower', async () => {
    sim = await startEngineSim({ prefillMsPerToken: 0.2, outputTokens: 1 });
    const prompt = longPrompt('doc');
    const cold = await postJson<Completion>(`${sim.url}/v1/completions`, { prompt });
    const warm = await postJson<Completion>(`${sim.url}/v1/completions`, { prompt });

    expect(cold.json.usage.prompt_tokens).toBe(1000);
    expect(cold.json.usage.prompt_tokens_details.cached_tokens).toBe(0);
    // Whole 16-token blocks, leaving at least the last token to compute: 62 blocks of 16.
    expect(warm.json.usage.prompt_tokens_details.cached_tokens).toBe(992);

    const [first, second] = sim.stats.ttfts;
    expect(first.prefillMs).toBeCloseTo(200, 6);
    expect(second.prefillMs).toBeCloseTo(8 * 0.2, 6);
    expect(first.ttftMs).toBeGreaterThanOrEqual(195);
    expect(second.ttftMs).toBeLessThan(first.ttftMs / 2);
    expect(sim.stats.prefixCacheQueries).toBe(2000);
    expect(sim.stats.prefixCacheHits).toBe(992);
  });

  it('only reuses the shared leading blocks of prompts that diverge', async () => {
    sim = await startEngineSim({ outputTokens: 1 });
    const shared = longPrompt('sys', 64); // 4 blocks of 16 tokens
    await postJson(`${sim.url}/v1/completions`, { prompt: `${shared}first question, quite long` });
    const other = await postJson<Completion>(`${sim.url}/v1/completions`, { prompt: `${shared}second question, also long` });
    expect(other.json.usage.prompt_tokens_details.cached_tokens).toBe(64);
  });

  it('keeps caches per model: the same prompt on another model is a miss', async () => {
    sim = await startEngineSim({ models: ['a', 'b'], outputTokens: 1 });
    const prompt = longPrompt('m', 100);
    await postJson(`${sim.url}/v1/completions`, { model: 'a', prompt });
    const onB = await postJson<Completion>(`${sim.url}/v1/completions`, { model: 'b', prompt });
    expect(onB.json.usage.prompt_tokens_details.cached_tokens).toBe(0);
  });

  it('evicts least recently used blocks when the cache is tiny', async () => {
    // 8 blocks of 16 tokens; each prompt needs 7 (6 full + a partial one).
    const s = (sim = await startEngineSim({ numGpuBlocks: 8, outputTokens: 1 }));
    const a = longPrompt('A', 100);
    const b = longPrompt('B', 100);
    const cached = async (prompt: string) =>
      (await postJson<Completion>(`${s.url}/v1/completions`, { prompt })).json.usage.prompt_tokens_details.cached_tokens;

    expect(await cached(a)).toBe(0);
    expect(await cached(a)).toBe(96);
    expect(await cached(b)).toBe(0);
    // B pushed out A's tail blocks first; only A's first block survived.
    expect(await cached(a)).toBe(16);
    expect(s.stats.evictedBlocks).toBeGreaterThan(0);
    expect(s.stats.cachedBlocks).toBeLessThanOrEqual(8);
  });
});
