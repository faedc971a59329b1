import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

describe('streaming through the router', () => {
  let sim: EngineSim;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'slow', host: '127.0.0.2', models: ['m1'], tokenDelayMs: 60, outputTokens: 6 });
    router = await startRouter({ engines: [{ url: sim.url, models: ['m1'] }], aliases: { fast: 'm1' } });
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
  });

  afterAll(async () => {
    await router.close();
    await sim.close();
  });

  it('delivers chunks as the engine produces them, spaced as the engine spaced them', async () => {
    const started = performance.now();
    const arrivals: number[] = [];
    let text = '';
    const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'count' }], stream: true });
    for await (const chunk of stream) {
      arrivals.push(performance.now() - started);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text.length).toBeGreaterThan(0);
    const contentChunks = arrivals.length;
    expect(contentChunks).toBeGreaterThanOrEqual(6);
    // Buffering would deliver everything at once at the end; passthrough keeps the engine's ~60 ms gaps.
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    const spaced = gaps.filter((g) => g >= 30).length;
    expect(spaced).toBeGreaterThanOrEqual(4);
    expect(arrivals[0]!).toBeLessThan(arrivals.at(-1)! - 200);
  });

  it('passes the usage chunk through when the client asks for it', async () => {
    const stream = await client.completions.create({ model: 'm1', prompt: 'hello', stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(6);
  });

  it('aborts the engine request when the client goes away mid-stream', async () => {
    const abortedBefore = sim.stats.aborted;
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm1', messages: [{ role: 'user', content: 'long' }], stream: true, max_tokens: 6 },
      { signal: controller.signal },
    );
    let received = 0;
    for await (const _chunk of stream) {
      if (++received === 2) {
        controller.abort();
        break;
      }
    }
    expect(received).toBe(2);
    await eventually(() => sim.stats.aborted === abortedBefore + 1, 3000);
    await eventually(() => router.app.core.load.total() === 0, 3000);
  });
});
