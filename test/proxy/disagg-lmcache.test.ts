import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

const CHAT = '/v1/chat/completions';
const longText = (tag: string) => `${tag}:`.padEnd(4000, ` ${tag} words`);
const bodiesOf = (sim: EngineSim) => sim.stats.lastRequests.filter((r) => r.path === CHAT).map((r) => r.body as Record<string, unknown>);
const countOf = (sim: EngineSim) => sim.stats.requests[CHAT] ?? 0;

describe('disaggregated_prefill (KV through LMCache, outside the router)', () => {
  let prefills: EngineSim[];
  let decode: EngineSim;
  let resetting: EngineSim;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    const common = { models: ['m'], kvConnector: 'lmcache' as const, prefillMsPerToken: 0.05, outputTokens: 4 };
    prefills = [
      await startEngineSim({ ...common, engineId: 'p-0', host: '127.0.0.2', role: 'prefill' }),
      await startEngineSim({ ...common, engineId: 'p-1', host: '127.0.0.3', role: 'prefill' }),
    ];
    const peers = prefills.map((p) => p.url);
    decode = await startEngineSim({ ...common, engineId: 'd-0', host: '127.0.0.20', role: 'decode', kvPeers: peers });
    resetting = await startEngineSim({ ...common, engineId: 'd-reset', host: '127.0.0.21', role: 'decode', kvPeers: peers, resetBeforeResponse: true });
    router = await startRouter({
      engines: [
        ...prefills.map((p) => ({ id: p.engineId, url: p.url, models: ['m'], role: 'prefill' as const })),
        { id: 'd-reset', url: resetting.url, models: ['m'], role: 'decode' },
        { id: 'd-0', url: decode.url, models: ['m'], role: 'decode' },
      ],
      routingLogic: 'disaggregated_prefill',
    });
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await router.close();
    await Promise.all([...prefills, decode, resetting].map((s) => s.close()));
  });

  it('prefills with max_tokens 1 (max_completion_tokens dropped), then sends the original request, and the decode engine finds the KV', async () => {
    const content = longText('lmcache');
    const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content }], max_completion_tokens: 3 });
    expect(reply.choices[0]!.message.content).toBe('the old fox');
    expect(reply.system_fingerprint).toBe('d-0');
    const prefill = prefills.find((p) => countOf(p) === 1)!;
    const sent = bodiesOf(prefill)[0]!;
    expect(sent).toMatchObject({ max_tokens: 1, stream: false });
    expect(sent).not.toHaveProperty('max_completion_tokens');
    expect(sent).not.toHaveProperty('kv_transfer_params');
    const decoded = bodiesOf(decode).at(-1)!;
    expect(decoded).toEqual({ model: 'm', messages: [{ role: 'user', content }], max_completion_tokens: 3 });
    // The decode engine looked the prompt up in the prefill engines and computed only the rest.
    expect(decode.stats.ttfts.at(-1)!.transferredTokens).toBeGreaterThan(900);
  });

  it('retries a decode engine that failed before its first byte with the same request: LMCache lookups do not consume the KV', async () => {
    const before = prefills.reduce((n, p) => n + countOf(p), 0);
    for (let i = 0; i < 4; i++) {
      const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: longText(`retry-${i}`) }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('the old fox ran');
    }
    expect(countOf(resetting)).toBeGreaterThan(0);
    expect(prefills.reduce((n, p) => n + countOf(p), 0) - before).toBe(4);
  });
});
