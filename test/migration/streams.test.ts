import { afterEach, describe, expect, it } from '@jest/globals';
import type { DeathMode } from '../sim/options.js';
import { countsOf, metricValue, MODEL, rawEvents, readChatStream, readTextStream, startFleet, type Fleet, type SeenStream } from './harness.js';

/**
 * A stream whose engine dies mid-answer continues on another engine: the client's stream, read with
 * the openai SDK, is the uninterrupted answer word for word, under one id and created, with usage for
 * the whole answer.
 */
describe('a stream whose engine dies mid-answer continues on another engine', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  const messages = [{ role: 'user' as const, content: 'Tell me about the fox.' }];
  const prompt = 'A story about a fox:';
  const expectedReason: Record<DeathMode, string> = { reset: 'connection_lost', fin: 'incomplete', 'error-event': 'error_event', stall: 'timeout' };

  async function run(kind: 'chat' | 'text', f: Fleet, usage: boolean): Promise<{ seen: SeenStream; reference: SeenStream }> {
    const options = usage ? { stream_options: { include_usage: true } } : {};
    if (kind === 'chat') {
      const body = { model: MODEL, messages, max_tokens: 10, seed: 3, temperature: 0, stream: true as const, ...options };
      return { seen: await readChatStream(await f.client.chat.completions.create(body)), reference: await readChatStream(await f.referenceClient.chat.completions.create(body)) };
    }
    const body = { model: MODEL, prompt, max_tokens: 10, seed: 3, temperature: 0, stream: true as const, ...options };
    return { seen: await readTextStream(await f.client.completions.create(body)), reference: await readTextStream(await f.referenceClient.completions.create(body)) };
  }

  describe.each(['chat', 'text'] as const)('%s', (kind) => {
    describe.each([true, false])('usage in the stream: %s', (usage) => {
      it.each(['reset', 'fin', 'error-event', 'stall'] as const)('engine dies by %s after 5 chunks', async (deathMode) => {
        fleet = await startFleet({ engines: [{ dieAfterChunks: 5, deathMode }, {}] });
        const { seen, reference } = await run(kind, fleet, usage);

        expect(seen.text).toBe(reference.text);
        expect(seen.pieces).toEqual(reference.pieces);
        expect(seen.finishReason).toBe(reference.finishReason);
        expect(seen.ids.size).toBe(1);
        expect(seen.created.size).toBe(1);
        if (kind === 'chat') expect(seen.roles).toBe(1);
        if (usage) expect(countsOf(seen.usage)).toEqual(countsOf(reference.usage));
        else expect(seen.usage).toBeUndefined();
        // The first engine's chunks, then the second's: the answer really moved.
        const firstMoved = seen.fingerprints.indexOf('e1');
        expect(firstMoved).toBeGreaterThan(0);
        expect(seen.fingerprints.slice(0, firstMoved).every((f) => f === 'e0')).toBe(true);
        expect(seen.fingerprints.slice(firstMoved).every((f) => f === 'e1')).toBe(true);

        // The continuation asked for what was left: 10 tokens minus the 4 (chat) or 5 (completions) already sent.
        const sent = kind === 'chat' ? 4 : 5;
        const continuation = fleet.engines[1]!.stats.lastRequests.at(-1)!.body as Record<string, unknown>;
        expect(continuation).toMatchObject({ max_tokens: 10 - sent, seed: 3, temperature: 0 });
        if (kind === 'chat') expect(continuation).toMatchObject({ continue_final_message: true, add_generation_prompt: false, messages: [...messages, { role: 'assistant', content: reference.pieces.slice(0, 5).join('') }] });
        else expect(continuation.prompt).toBe(prompt + reference.pieces.slice(0, 5).join(''));

        expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { model: MODEL, reason: expectedReason[deathMode], outcome: 'completed' })).toBe(1);
      });
    });
  });

  it('relays exactly one [DONE], no chunk twice and none lost (raw SSE)', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}] });
    const body = { model: MODEL, messages, stream: true, stream_options: { include_usage: true } };
    const { events, broke } = await rawEvents(`${fleet.router.url}/v1/chat/completions`, body);
    const reference = await rawEvents(`${fleet.reference.url}/v1/chat/completions`, body);
    expect(broke).toBe(false);
    expect(events.filter((e) => e === '[DONE]')).toHaveLength(1);
    expect(events.at(-1)).toBe('[DONE]');
    expect(events).toHaveLength(reference.events.length);
    const strip = (e: string) => (e === '[DONE]' ? e : JSON.stringify({ ...(JSON.parse(e) as object), id: 0, created: 0, system_fingerprint: 0, usage: 0 }));
    expect(events.map(strip)).toEqual(reference.events.map(strip));
  });

  it('moves again when the engine that took over dies too, within --request-migration-attempts', async () => {
    // Round robin: the request starts on e0; the first continuation goes to e2 (the next turn), the second to e1.
    fleet = await startFleet({ engines: [{ dieAfterChunks: 3 }, {}, { dieAfterChunks: 4 }], router: { requestMigrationAttempts: 2 } });
    const body = { model: MODEL, prompt, stream: true as const, stream_options: { include_usage: true } };
    const seen = await readTextStream(await fleet.client.completions.create(body));
    const reference = await readTextStream(await fleet.referenceClient.completions.create(body));
    expect(seen.text).toBe(reference.text);
    expect(countsOf(seen.usage)).toEqual(countsOf(reference.usage));
    expect([...new Set(seen.fingerprints)]).toEqual(['e0', 'e2', 'e1']);
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason: 'connection_lost', outcome: 'failed' })).toBe(1);
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason: 'connection_lost', outcome: 'completed' })).toBe(1);
  });

  it('restarts a chat on another engine when only the role had been sent, whatever the request asks for', async () => {
    // logprobs cannot be carried over mid-answer, but nothing but the role reached the client yet.
    fleet = await startFleet({ engines: [{ dieAfterChunks: 1 }, {}] });
    const body = { model: MODEL, messages, logprobs: true, stream: true as const };
    const seen = await readChatStream(await fleet.client.chat.completions.create(body));
    const reference = await readChatStream(await fleet.referenceClient.chat.completions.create(body));
    expect(seen.pieces).toEqual(reference.pieces);
    expect(seen.roles).toBe(1);
    expect((fleet.engines[1]!.stats.lastRequests.at(-1)!.body as Record<string, unknown>).messages).toEqual(messages);
  });

  it('ends the stream itself when the engine dies after the final chunk', async () => {
    // 12 tokens: the role chunk, then 12 content chunks, the last carrying finish_reason as vLLM sends
    // it (event 13); the engine dies before [DONE].
    fleet = await startFleet({ engines: [{ dieAfterChunks: 13 }, {}] });
    const body = { model: MODEL, messages, stream: true as const };
    const seen = await readChatStream(await fleet.client.chat.completions.create(body));
    const reference = await readChatStream(await fleet.referenceClient.chat.completions.create(body));
    expect(seen.pieces).toEqual(reference.pieces);
    expect(seen.finishReason).toBe('stop');
    expect(fleet.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason: 'connection_lost', outcome: 'finished_by_router' })).toBe(1);
  });

  it('ends the stream itself, finish_reason length, when max_tokens were all sent before the engine died', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 5 }, {}] });
    const body = { model: MODEL, prompt, max_tokens: 5, stream: true as const };
    const seen = await readTextStream(await fleet.client.completions.create(body));
    const reference = await readTextStream(await fleet.referenceClient.completions.create(body));
    expect(seen.text).toBe(reference.text);
    expect(seen.finishReason).toBe('length');
    expect(fleet.engines[1]!.stats.requests['/v1/completions']).toBeUndefined();
  });

  it('replaces an engine that sends no first byte in time', async () => {
    fleet = await startFleet({ engines: [{ hang: true }, {}], router: { firstByteTimeoutMs: 300 } });
    const body = { model: MODEL, messages, stream: true as const };
    const seen = await readChatStream(await fleet.client.chat.completions.create(body));
    expect(seen.text).toBe((await readChatStream(await fleet.referenceClient.chat.completions.create(body))).text);
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason: 'timeout', outcome: 'completed' })).toBe(1);
  });
});
