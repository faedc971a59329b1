import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type OpenAI from 'openai';
import { startFakeEngine, type FakeEngine } from './fake-engine.js';
import { startStack, type Stack } from './harness.js';
import {
  answerText,
  chatJsonl,
  client,
  countIds,
  createChatBatch,
  isTerminal,
  readJsonl,
  tempRoot,
  uploadBatchFile,
  waitForBatch,
} from './helpers.js';

describe('OpenAI Batches API through the router (official SDK as client)', () => {
  let engineA: FakeEngine;
  let engineB: FakeEngine;
  let slow: FakeEngine;
  let stack: Stack;
  let openai: OpenAI;
  let cleanup: () => Promise<void>;
  /** Added to the batch clock: lets the expiry test jump a day ahead. */
  let clockOffset = 0;

  beforeAll(async () => {
    // model-a on two engines, one of which sheds every 13th request with a 503 to exercise retries.
    engineA = await startFakeEngine({ models: ['model-a'], latencyMs: 2, failEvery: 13, failStatus: 503 });
    engineB = await startFakeEngine({ models: ['model-a', 'model-b'], latencyMs: 2 });
    slow = await startFakeEngine({ models: ['slow-model'], latencyMs: 200 });
    const tmp = await tempRoot();
    cleanup = tmp.remove;
    stack = await startStack({
      root: tmp.root,
      engines: [engineA, engineB, slow],
      service: { clock: { now: () => Date.now() + clockOffset } },
    });
    openai = client(stack.url);
  });

  afterAll(async () => {
    await stack.close();
    await Promise.all([engineA.close(), engineB.close(), slow.close()]);
    await cleanup();
  });

  it('runs 300 lines over two models: every custom_id answered exactly once, by its own prompt', async () => {
    const input = await uploadBatchFile(openai, chatJsonl(300, ['model-a', 'model-b'], 'big'));
    const created = await openai.batches.create({
      input_file_id: input,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: input, metadata: { job: 'nightly' } });
    expect(created.expires_at).toBe(created.created_at + 24 * 3600);

    const done = await waitForBatch(openai, created.id, isTerminal);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 300, completed: 300, failed: 0 });
    for (const t of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(done[t]).toEqual(expect.any(Number));
    expect(done.error_file_id).toBeNull();

    const output = await readJsonl(openai, done.output_file_id);
    const counts = countIds(output);
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const line of output) {
      expect(line).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200 } });
      expect(answerText(line)).toBe(`echo: prompt for ${line.custom_id}`);
    }
    expect(engineA.stats.failed).toBeGreaterThan(0); // the 503s happened and were retried away
    const outFile = await openai.files.retrieve(done.output_file_id!);
    expect(outFile.purpose).toBe('batch_output');
  });

  it('fails a structurally bad file in validation, with one error per problem line', async () => {
    const good = (id: string) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'model-a', messages: [] } });
    const lines = [
      good('ok-1'),
      '{not json',
      '[1,2]',
      JSON.stringify({ custom_id: 'get', method: 'GET', url: '/v1/chat/completions', body: { model: 'model-a' } }),
      JSON.stringify({ custom_id: 'wrong-url', method: 'POST', url: '/v1/embeddings', body: { model: 'model-a' } }),
      good('ok-1'),
    ];
    const input = await uploadBatchFile(openai, `${lines.join('\n')}\n`);
    const batch = await waitForBatch(openai, (await createChatBatch(openai, input)).id, isTerminal);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toEqual(expect.any(Number));
    expect(batch.errors?.object).toBe('list');
    expect(batch.errors?.data?.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 2],
      ['invalid_json_line', 3],
      ['invalid_method', 4],
      ['mismatched_endpoint', 5],
      ['duplicate_custom_id', 6],
    ]);
    expect(batch.errors?.data?.[3]).toMatchObject({ param: 'url', message: expect.stringContaining('/v1/embeddings') });
  });

  it('fails an empty file', async () => {
    const input = await uploadBatchFile(openai, '\n\n');
    const batch = await waitForBatch(openai, (await createChatBatch(openai, input)).id, isTerminal);
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data).toEqual([expect.objectContaining({ code: 'empty_file' })]);
  });

  it('rejects bad create requests up front', async () => {
    await expect(createChatBatch(openai, 'file-0123456789abcdef0123456789ab')).rejects.toMatchObject({ status: 404 });
    const input = await uploadBatchFile(openai, chatJsonl(1, ['model-a']));
    await expect(
      openai.batches.create({ input_file_id: input, endpoint: '/v1/nope' as '/v1/completions', completion_window: '24h' }),
    ).rejects.toMatchObject({ status: 400, param: 'endpoint' });
    await expect(
      openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: '1h' as '24h' }),
    ).rejects.toMatchObject({ status: 400, param: 'completion_window' });
    await expect(openai.batches.retrieve('batch_0123456789abcdef0123456789ab')).rejects.toMatchObject({ status: 404 });
  });

  it('puts lines that fail at run time in the error file, and the rest in the output', async () => {
    const line = (id: string, body: Record<string, unknown>) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body });
    const content = [
      line('fine', { model: 'model-b', messages: [{ role: 'user', content: 'hi' }] }),
      line('no-such-model', { model: 'ghost', messages: [] }),
      line('too-long', { model: 'model-b', messages: [], max_tokens: 1_000_000 }),
    ].join('\n');
    const batch = await waitForBatch(openai, (await createChatBatch(openai, await uploadBatchFile(openai, content))).id, isTerminal);
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 1, failed: 2 } });
    expect((await readJsonl(openai, batch.output_file_id)).map((l) => l.custom_id)).toEqual(['fine']);
    const errors = await readJsonl(openai, batch.error_file_id);
    const byId = new Map(errors.map((e) => [e.custom_id, e]));
    expect(byId.get('no-such-model')).toMatchObject({ error: { code: 'model_not_found' }, response: { status_code: 404 } });
    expect(byId.get('too-long')).toMatchObject({ error: { code: 'context_length_exceeded' }, response: { status_code: 400 } });
  });

  it('holds batch lines back while the model is busy with interactive traffic', async () => {
    stack.dispatcher.busy.add('model-b');
    try {
      const created = await createChatBatch(openai, await uploadBatchFile(openai, chatJsonl(5, ['model-b'], 'held')));
      await waitForBatch(openai, created.id, (b) => b.status === 'in_progress');
      await new Promise((r) => setTimeout(r, 150));
      expect((await openai.batches.retrieve(created.id)).request_counts?.completed).toBe(0);
      stack.dispatcher.busy.delete('model-b');
      expect((await waitForBatch(openai, created.id, isTerminal)).request_counts).toEqual({ total: 5, completed: 5, failed: 0 });
    } finally {
      stack.dispatcher.busy.delete('model-b');
    }
  });

  it('cancels mid-run: cancelling, then cancelled, keeping what finished', async () => {
    const created = await createChatBatch(openai, await uploadBatchFile(openai, chatJsonl(40, ['slow-model'], 'cx')));
    await waitForBatch(openai, created.id, (b) => (b.request_counts?.completed ?? 0) >= 8);
    const cancelling = await openai.batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));

    const done = await waitForBatch(openai, created.id, isTerminal);
    expect(done.status).toBe('cancelled');
    expect(done.cancelled_at).toEqual(expect.any(Number));
    const output = await readJsonl(openai, done.output_file_id);
    const errors = await readJsonl(openai, done.error_file_id);
    expect(output.length).toBeGreaterThanOrEqual(8);
    expect(output.length).toBeLessThan(40);
    expect(errors.every((e) => e.error?.code === 'batch_cancelled')).toBe(true);
    const all = countIds([...output, ...errors]);
    expect(all.size).toBe(40);
    expect([...all.values()].every((n) => n === 1)).toBe(true);
    expect(done.request_counts).toEqual({ total: 40, completed: output.length, failed: errors.length });
    expect(slow.stats.aborted).toBeGreaterThan(0); // in-flight lines were aborted, not waited for
    // Cancelling again is harmless; a finished batch cannot be cancelled.
    expect((await openai.batches.cancel(created.id)).status).toBe('cancelled');
  });

  it('refuses to cancel a completed batch', async () => {
    const batch = await waitForBatch(openai, (await createChatBatch(openai, await uploadBatchFile(openai, chatJsonl(2, ['model-a'])))).id, isTerminal);
    await expect(openai.batches.cancel(batch.id)).rejects.toMatchObject({ status: 400 });
  });

  it('expires a batch not done by expires_at: unfinished lines get batch_expired', async () => {
    const created = await createChatBatch(openai, await uploadBatchFile(openai, chatJsonl(40, ['slow-model'], 'ex')));
    await waitForBatch(openai, created.id, (b) => (b.request_counts?.completed ?? 0) >= 8);
    clockOffset = 25 * 3600 * 1000;
    try {
      const done = await waitForBatch(openai, created.id, isTerminal);
      expect(done.status).toBe('expired');
      expect(done.expired_at).toEqual(expect.any(Number));
      const output = await readJsonl(openai, done.output_file_id);
      const errors = await readJsonl(openai, done.error_file_id);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.error?.code === 'batch_expired' && e.response === null)).toBe(true);
      expect(countIds([...output, ...errors]).size).toBe(40);
      expect(done.request_counts).toEqual({ total: 40, completed: output.length, failed: errors.length });
    } finally {
      clockOffset = 0;
    }
  });

  it('lists batches newest first with cursor pagination', async () => {
    const page = await openai.batches.list({ limit: 3 });
    expect(page.data).toHaveLength(3);
    expect(page.has_more).toBe(true);
    const ids: string[] = [];
    for await (const b of openai.batches.list({ limit: 3 })) ids.push(b.id);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(ids.length);
  });
});
