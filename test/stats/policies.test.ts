import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const documents = ['alpha', 'beta', 'gamma'].map((name) => `You answer questions about the ${name} manual.\n${`${name} section text. `.repeat(150)}`);

describe('load- and cache-aware policies through the OpenAI SDK', () => {
  const sims: EngineSim[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++)
      sims.push(await startEngineSim({ engineId: `e${i}`, host: `127.0.0.${i + 2}`, models: ['m'], prefillMsPerToken: 0.02, outputTokens: 8, tokenDelayMs: 1 }));
  });

  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
  });

  describe('prefixaware', () => {
    let router: RunningRouter;
    let client: OpenAI;

    beforeAll(async () => {
      router = await startRouter({ routingLogic: 'prefixaware', engines: sims.map((s) => ({ url: s.url, models: ['m'] })) });
      client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
    });

    afterAll(() => router.close());

    /** A conversation of `turns` turns about one document; returns the engine and cached tokens of each turn. */
    async function converse(doc: number, session: string, turns: number) {
      const messages: Message[] = [{ role: 'system', content: documents[doc]! }];
      const served: Array<{ engine: string; cached: number }> = [];
      for (let t = 0; t < turns; t++) {
        messages.push({ role: 'user', content: `${session}: question ${t} about this part of the manual?` });
        const r = await client.chat.completions.create({ model: 'm', messages });
        messages.push({ role: 'assistant', content: r.choices[0]!.message.content ?? '' });
        const usage = r.usage as OpenAI.CompletionUsage & { prompt_tokens_details?: { cached_tokens?: number } };
        served.push({ engine: r.system_fingerprint ?? '', cached: usage.prompt_tokens_details?.cached_tokens ?? 0 });
      }
      return served;
    }

    it('keeps a conversation, and every conversation about the same document, on the engine that caches it', async () => {
      const first = await converse(0, 'ann', 3);
      const second = await converse(0, 'bob', 3);
      const engines = new Set([...first, ...second].map((s) => s.engine));
      expect(engines.size).toBe(1);
      // Everything after the very first request reuses the engine's cache: the document and earlier turns.
      for (const s of [...first.slice(1), ...second]) expect(s.cached).toBeGreaterThan(500);
    });

    it('spreads different documents across engines', async () => {
      const homes = new Set<string>();
      for (let d = 0; d < 3; d++) homes.add((await converse(d, `doc${d}`, 1))[0]!.engine);
      expect(homes.size).toBeGreaterThanOrEqual(2);
    });
  });

  describe('leastload', () => {
    let router: RunningRouter;

    beforeAll(async () => {
      router = await startRouter({ routingLogic: 'leastload', engines: sims.slice(0, 2).map((s) => ({ url: s.url, models: ['m'] })) });
    });

    afterAll(() => router.close());

    it('sends new requests to the engine with fewer requests in flight', async () => {
      const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
      const controller = new AbortController();
      // Three long streams pinned to e0 keep it busy.
      // ignore_eos (a vLLM extension) makes the simulator generate all 1,000 tokens: about a second.
      const long = { model: 'm', messages: [{ role: 'user' as const, content: 'long' }], stream: true as const, max_tokens: 1000, ignore_eos: true };
      const streams = await Promise.all([0, 1, 2].map(() => client.chat.completions.create(long, { query: { id: sims[0]!.url }, signal: controller.signal })));
      try {
        const seen: string[] = [];
        for (let i = 0; i < 4; i++) seen.push((await client.completions.create({ model: 'm', prompt: `p${i}` })).system_fingerprint ?? '');
        expect(seen).toEqual(['e1', 'e1', 'e1', 'e1']);
      } finally {
        controller.abort();
        await Promise.allSettled(streams.map(async (s) => {
          for await (const _ of s) {
            // drained until aborted
          }
        }));
      }
    });
  });

  it('serves kvaware with the cache-aware scorer', async () => {
    const router = await startRouter({ routingLogic: 'kvaware', engines: sims.map((s) => ({ url: s.url, models: ['m'] })) });
    try {
      const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
      const ask = async () => (await client.chat.completions.create({ model: 'm', messages: [{ role: 'system', content: documents[1]! }, { role: 'user', content: 'q' }] })).system_fingerprint;
      const first = await ask();
      expect(await ask()).toBe(first);
    } finally {
      await router.close();
    }
  });
});
