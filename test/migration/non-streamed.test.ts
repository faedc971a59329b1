import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { openAIError, postJson } from '../helpers/http.js';
import { countsOf, metricValue, MODEL, startFleet, type Fleet } from './harness.js';

/** A non-streamed answer that breaks after its head is fetched again whole: the client sees one clean answer. */
describe('a non-streamed request whose engine dies after the head is retried whole', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  const messages = [{ role: 'user' as const, content: 'hello' }];

  it.each(['reset', 'fin', 'stall'] as const)('chat, engine dies by %s mid-body', async (deathMode) => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 1, deathMode }, {}] });
    const answer = await fleet.client.chat.completions.create({ model: MODEL, messages, max_tokens: 8 });
    const reference = await fleet.referenceClient.chat.completions.create({ model: MODEL, messages, max_tokens: 8 });
    expect(answer.choices[0]!.message.content).toBe(reference.choices[0]!.message.content);
    expect(answer.choices[0]!.finish_reason).toBe('length');
    expect(countsOf(answer.usage)).toEqual(countsOf(reference.usage));
    expect(answer.system_fingerprint).toBe('e1');
    // The whole request went again, unchanged.
    expect(fleet.engines[1]!.stats.lastRequests.at(-1)!.body).toEqual(fleet.engines[0]!.stats.lastRequests.at(-1)!.body);
    const reason = deathMode === 'stall' ? 'timeout' : 'connection_lost';
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason, outcome: 'completed' })).toBe(1);
  });

  it('completions, engine dies mid-body', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 1 }, {}] });
    const answer = await fleet.client.completions.create({ model: MODEL, prompt: 'Once' });
    const reference = await fleet.referenceClient.completions.create({ model: MODEL, prompt: 'Once' });
    expect(answer.choices[0]!.text).toBe(reference.choices[0]!.text);
    expect(countsOf(answer.usage)).toEqual(countsOf(reference.usage));
  });

  it('replaces an engine that sends no first byte in time', async () => {
    fleet = await startFleet({ engines: [{ hang: true }, {}], router: { firstByteTimeoutMs: 300 } });
    const answer = await fleet.client.completions.create({ model: MODEL, prompt: 'Once' });
    expect(answer.system_fingerprint).toBe('e1');
  });

  it('answers a clean 502 (not a cut connection) when the retry breaks too', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 1 }, { dieAfterChunks: 1 }] });
    const r = await postJson(`${fleet.router.url}/v1/chat/completions`, { model: MODEL, messages });
    expect(r.status).toBe(502);
    expect(r.json).toEqual(openAIError('upstream_error'));
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { outcome: 'failed' })).toBe(1);
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { outcome: 'exhausted' })).toBe(1);
  });

  it('passes an error answer through untouched: a 500 is an answer, not a broken one', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 1, deathMode: 'error-event' }, {}] });
    const client = new OpenAI({ baseURL: fleet.router.baseURL, apiKey: 'x', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: MODEL, messages })).rejects.toMatchObject({ status: 500 });
    expect(fleet.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
  });
});
