import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type OpenAI from 'openai';
import type { EngineSim } from '../sim/index.js';
import {
  answerOf,
  chatJsonl,
  completedAtLeast,
  countIds,
  createChatBatch,
  duplicates,
  idsOf,
  isTerminal,
  maxTokensOf,
  readJsonl,
  startChatBatch,
  tempRoot,
  uploadBatchFile,
  waitForBatch,
} from './helpers.js';
import { chatRequests, closeSims, spawnBatchRouter, startSims, type BatchRouter } from './stack.js';

describe('OpenAI Batches API: SDK -> vllm-router -> engine simulators', () => {
  let a: EngineSim;
  let b: EngineSim;
  let slow: EngineSim;
  let router: BatchRouter;
  let openai: OpenAI;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    // model-a on two engines, model-b on one of them, and a slow model for cancelling mid-run.
    [a, b, slow] = await startSims([
      { engineId: 'a', models: ['model-a'] },
      { engineId: 'b', models: ['model-a', 'model-b'] },
      { engineId: 'slow', models: ['slow-model'], outputTokens: 20, tokenDelayMs: 30 },
    ]);
    const tmp = await tempRoot();
    cleanup = tmp.remove;
    router = await spawnBatchRouter([a, b, slow], { storage: tmp.root, args: ['--batch-concurrency', '16', '--static-aliases', 'fast:model-b'] });
    openai = router.openai;
  });

  afterAll(async () => {
    await router?.stop();
    await closeSims([a, b, slow].filter(Boolean));
    await cleanup?.();
  });

  it('runs 300 lines over two models: every custom_id answered exactly once, by its own line', async () => {
    const input = await uploadBatchFile(openai, chatJsonl(300, ['model-a', 'model-b'], { prefix: 'big' }));
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
    expect(output).toHaveLength(300);
    expect(duplicates(output)).toEqual([]);
    expect([...countIds(output).keys()].sort()).toEqual(idsOf('big', 300).sort());
    for (const line of output) {
      const i = Number(line.custom_id.slice('big-'.length));
      expect(line).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200 } });
      expect(answerOf(line)).toMatchObject({ model: i % 2 === 0 ? 'model-a' : 'model-b', completionTokens: maxTokensOf(i) });
    }
    // model-a alternated between its two engines; model-b only has b. One engine request per line.
    expect(chatRequests(a)).toBe(75);
    expect(chatRequests(b)).toBe(225);
    expect((await openai.files.retrieve(done.output_file_id!)).purpose).toBe('batch_output');
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
    const batch = await waitForBatch(openai, (await startChatBatch(openai, `${lines.join('\n')}\n`)).id, isTerminal);
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
    expect(batch.errors?.data?.[4]).toMatchObject({ message: expect.stringContaining('ok-1') });
  });

  it('fails an empty file', async () => {
    const batch = await waitForBatch(openai, (await startChatBatch(openai, '\n\n')).id, isTerminal);
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
      openai.batches.create({ input_file_id: input, endpoint: '/v1/chat/completions', completion_window: 'soon' as '24h' }),
    ).rejects.toMatchObject({ status: 400, param: 'completion_window' });
    await expect(openai.batches.retrieve('batch_0123456789abcdef0123456789ab')).rejects.toMatchObject({ status: 404 });
  });

  it('puts lines that fail at run time in the error file (unknown model, engine 400), and the rest (aliases too) in the output', async () => {
    const line = (id: string, body: Record<string, unknown>) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body });
    const content = [
      line('fine', { model: 'model-b', messages: [{ role: 'user', content: 'hi' }] }),
      line('via-alias', { model: 'fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
      line('no-such-model', { model: 'ghost', messages: [{ role: 'user', content: 'hi' }] }),
      line('engine-says-no', { model: 'model-b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }),
    ].join('\n');
    const batch = await waitForBatch(openai, (await startChatBatch(openai, content)).id, isTerminal);
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 4, completed: 2, failed: 2 } });
    const output = new Map((await readJsonl(openai, batch.output_file_id)).map((l) => [l.custom_id, l]));
    expect([...output.keys()].sort()).toEqual(['fine', 'via-alias']);
    expect(answerOf(output.get('via-alias')!)).toEqual({ model: 'model-b', completionTokens: 3, engine: 'b' });
    const errors = new Map((await readJsonl(openai, batch.error_file_id)).map((e) => [e.custom_id, e]));
    expect(errors.get('no-such-model')).toMatchObject({ error: { code: 'model_not_found', message: expect.stringContaining('ghost') }, response: { status_code: 404 } });
    // vLLM's error code is the HTTP status (a number): the line's code is then its error type.
    expect(errors.get('engine-says-no')).toMatchObject({ error: { code: 'BadRequestError', message: expect.stringContaining('max_tokens') }, response: { status_code: 400 } });
  });

  it('cancels mid-run: cancelling, then cancelled, keeping what finished and aborting what was in flight', async () => {
    const lines = 160; // 20 tokens x 30 ms per line, 16 at a time: about 6 s if never cancelled
    const created = await startChatBatch(openai, chatJsonl(lines, ['slow-model'], { prefix: 'cx', maxTokens: () => 20 }));
    await waitForBatch(openai, created.id, completedAtLeast(1));
    const cancelling = await openai.batches.cancel(created.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));

    const done = await waitForBatch(openai, created.id, isTerminal);
    expect(done.status).toBe('cancelled');
    expect(done.cancelled_at).toEqual(expect.any(Number));
    const output = await readJsonl(openai, done.output_file_id);
    const errors = await readJsonl(openai, done.error_file_id);
    expect(output.length).toBeGreaterThan(0);
    expect(output.length).toBeLessThan(lines);
    expect(errors.every((e) => e.error?.code === 'batch_cancelled' && e.response === null)).toBe(true);
    const all = [...output, ...errors];
    expect(all).toHaveLength(lines);
    expect(duplicates(all)).toEqual([]);
    expect(done.request_counts).toEqual({ total: lines, completed: output.length, failed: errors.length });
    expect(slow.stats.aborted).toBeGreaterThan(0); // in-flight lines were aborted at the engine, not waited for
    expect(chatRequests(slow)).toBeLessThan(lines); // and the rest never reached it
    // Cancelling again is harmless.
    expect((await openai.batches.cancel(created.id)).status).toBe('cancelled');
  });

  it('refuses to cancel a completed batch', async () => {
    const batch = await waitForBatch(openai, (await startChatBatch(openai, chatJsonl(2, ['model-a']))).id, isTerminal);
    expect(batch.status).toBe('completed');
    await expect(openai.batches.cancel(batch.id)).rejects.toMatchObject({ status: 400, code: 'batch_not_cancellable' });
  });

  it('lists batches newest first with cursor pagination', async () => {
    const page = await openai.batches.list({ limit: 3 });
    expect(page.data).toHaveLength(3);
    expect(page.has_more).toBe(true);
    const next = await openai.batches.list({ limit: 2, after: page.data[2]!.id });
    const ids: string[] = [];
    for await (const batch of openai.batches.list({ limit: 3 })) ids.push(batch.id);
    expect(ids.length).toBeGreaterThanOrEqual(6);
    expect(ids.slice(3, 5)).toEqual(next.data.map((b) => b.id));
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(ids.length);
  });
});
