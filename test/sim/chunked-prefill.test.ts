import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim, type EngineSimOptions } from './index.js';
import { httpCall, postJson, streamSse, waitFor } from './test-client.js';

/** `tokens` prompt tokens (4 characters each), distinct per tag so prompts never share cached blocks. */
const prompt = (tag: string, tokens: number) => `${tag}:`.padEnd(tokens * 4, ` ${tag} text`);

/** Gaps between the token events of a stream (the role chunk, final chunk and [DONE] left out). */
function tokenGaps(events: Array<{ data: string; at: number }>): number[] {
  const tokens = events.filter((e) => e.data.includes('"text":"') && !e.data.includes('"text":""'));
  return tokens.slice(1).map((e, i) => e.at - tokens[i]!.at);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('vllm-engine-sim chunked prefill (maxNumBatchedTokens)', () => {
  let sim: EngineSim | undefined;
  afterEach(() => sim?.close());

  /** A long-running stream, and a 1,500-token prompt arriving while it decodes. */
  async function decodeDuringPrefill(options: EngineSimOptions) {
    sim = await startEngineSim({ tokenDelayMs: 10, prefillMsPerToken: 0.2, outputTokens: 40, ...options });
    const url = `${sim.url}/v1/completions`;
    const running = streamSse(url, { prompt: 'short', stream: true });
    await waitFor(() => sim!.stats.generationTokens >= 5);
    const newcomer = postJson(url, { prompt: prompt('long', 1500), max_tokens: 1 });
    const [stream] = await Promise.all([running, newcomer]);
    return { gaps: tokenGaps(stream.events), newcomer: sim.stats.ttfts[1]! };
  }

  it("stalls running decodes while a new request's prompt chunks share their steps", async () => {
    // 1,500 prompt tokens in chunks of up to 499 (one token of each step's 500 goes to the running
    // decode): each such step lasts 10 ms + ~100 ms, where a decode-only step lasts 10 ms.
    const { gaps, newcomer } = await decodeDuringPrefill({ maxNumBatchedTokens: 500 });
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(90);
    expect(gaps.filter((g) => g >= 90).length).toBeGreaterThanOrEqual(3);
    expect(median(gaps)).toBeLessThan(50);
    // The newcomer's prefill took its own compute plus the decode share of four steps.
    expect(newcomer.prefillMs).toBeGreaterThanOrEqual(300);
  });

  it('leaves decodes alone without it (per-request timing, the default)', async () => {
    const { gaps } = await decodeDuringPrefill({});
    expect(Math.max(...gaps)).toBeLessThan(60);
  });

  it('computes a lone prompt in chunks at prefillMsPerToken and reuses the prefix cache', async () => {
    sim = await startEngineSim({ tokenDelayMs: 5, prefillMsPerToken: 0.2, outputTokens: 3, maxNumBatchedTokens: 256 });
    const body = { prompt: prompt('doc', 1000) };
    const cold = await postJson<{ usage: { completion_tokens: number; prompt_tokens_details: { cached_tokens: number } } }>(`${sim.url}/v1/completions`, body);
    const warm = await postJson<{ usage: { prompt_tokens_details: { cached_tokens: number } } }>(`${sim.url}/v1/completions`, body);
    expect(cold.json.usage.completion_tokens).toBe(3);
    expect(warm.json.usage.prompt_tokens_details.cached_tokens).toBe(992);
    const [first, second] = sim.stats.ttfts;
    expect(first!.prefillMs).toBeGreaterThanOrEqual(195);
    expect(second!.prefillMs).toBeLessThan(first!.prefillMs / 4);
    expect(sim.stats.running).toBe(0);
    expect(sim.stats.kvUsage).toBe(0);
  });

  it('drops a request whose client leaves mid-prefill and keeps serving the others', async () => {
    sim = await startEngineSim({ tokenDelayMs: 5, prefillMsPerToken: 0.5, outputTokens: 4, maxNumBatchedTokens: 128 });
    const url = `${sim.url}/v1/completions`;
    // 2,000 tokens take a second to prefill; the client gives up after 100 ms.
    const leaving = httpCall(url, { body: { prompt: prompt('gone', 2000) }, timeoutMs: 100 }).catch((err: Error) => err.message);
    await waitFor(() => sim!.stats.running === 1);
    expect(await leaving).toBe('client timeout');
    await waitFor(() => sim!.stats.running === 0, 500);
    const next = await postJson<{ choices: Array<{ text: string }> }>(url, { prompt: 'next' });
    expect(next.json.choices[0]!.text).toBe('the old fox ran');
    expect(sim.stats.finished.abort).toBe(1);
  });
});
