import { afterEach, describe, expect, it } from '@jest/globals';
import type OpenAI from 'openai';
import type { EngineFailure } from '@vllm-router/proxy';
import { eventually } from '../helpers/http.js';
import { tableOf } from '../helpers/router.js';
import { metricValue, MODEL, readChatStream, startFleet, type Fleet } from './harness.js';

/**
 * Planned drains: when an engine leaves the routing table (or turns not ready), its streams may finish
 * during --request-migration-drain-grace-seconds, then move to another engine.
 */
describe('streams on an engine that leaves the routing table', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  const messages = [{ role: 'user' as const, content: 'a long story' }];

  /** Start a stream on e0, wait for its first chunk, then apply `change`; read the rest. */
  async function streamAcross(f: Fleet, change: () => void): Promise<{ first: OpenAI.ChatCompletionChunk; rest: Awaited<ReturnType<typeof readChatStream>> }> {
    const stream = await f.client.chat.completions.create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } });
    const iterator = stream[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as OpenAI.ChatCompletionChunk;
    change();
    return { first, rest: await readChatStream({ [Symbol.asyncIterator]: () => iterator }) };
  }

  const tableWith = (f: Fleet, engines: Array<{ index: number; ready?: boolean }>) =>
    tableOf({ engines: engines.map(({ index, ready }) => ({ url: f.engines[index]!.url, id: `e${index}`, models: [MODEL], ready: ready ?? true })) });

  it('finish where they are when they end within the grace period', async () => {
    fleet = await startFleet({ engines: [{}, {}], defaults: { tokenDelayMs: 20 }, router: { requestMigrationDrainGraceSeconds: 10 } });
    const f = fleet;
    const { first, rest } = await streamAcross(f, () => f.router.app.applyTable(tableWith(f, [{ index: 1 }]), 'static'));
    expect(first.system_fingerprint).toBe('e0');
    expect(new Set(rest.fingerprints)).toEqual(new Set(['e0']));
    expect(rest.finishReason).toBe('stop');
    expect(f.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
  });

  it('move to another engine when the grace period ends, word for word, and the drained engine is not reported as failed', async () => {
    fleet = await startFleet({ engines: [{}, {}], defaults: { tokenDelayMs: 40, outputTokens: 30 }, router: { requestMigrationDrainGraceSeconds: 0.2 } });
    const f = fleet;
    const failures: EngineFailure[] = [];
    f.router.app.core.onEngineFailure((x) => failures.push(x));
    // A terminating pod stays in the table, not ready.
    const { first, rest } = await streamAcross(f, () => f.router.app.applyTable(tableWith(f, [{ index: 0, ready: false }, { index: 1 }]), 'static'));
    const reference = await readChatStream(await f.referenceClient.chat.completions.create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } }));
    expect([first.choices[0]?.delta.content ?? '', ...rest.pieces].join('')).toBe(reference.text);
    expect(rest.usage?.completion_tokens).toBe(reference.usage?.completion_tokens);
    expect([...new Set([first.system_fingerprint, ...rest.fingerprints])]).toEqual(['e0', 'e1']);
    expect(await metricValue(f.router, 'vllm_router_request_migrations_total', { reason: 'drain', outcome: 'completed' })).toBe(1);
    expect(failures).toEqual([]);
    await eventually(() => f.engines[0]!.stats.aborted === 1);
  });

  it('stay where they are when the engine comes back before the grace period ends', async () => {
    fleet = await startFleet({ engines: [{}, {}], defaults: { tokenDelayMs: 30, outputTokens: 20 }, router: { requestMigrationDrainGraceSeconds: 0.3 } });
    const f = fleet;
    const { rest } = await streamAcross(f, () => {
      f.router.app.applyTable(tableWith(f, [{ index: 1 }]), 'static');
      setTimeout(() => f.router.app.applyTable(tableWith(f, [{ index: 0 }, { index: 1 }]), 'static'), 100);
    });
    expect(new Set(rest.fingerprints)).toEqual(new Set(['e0']));
    expect(await metricValue(f.router, 'vllm_router_request_migrations_total', { reason: 'drain', outcome: 'completed' })).toBe(0);
  });
});
