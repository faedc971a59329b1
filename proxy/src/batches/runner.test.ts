import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { LocalFileStorage } from '../files/local-storage.js';
import type { InternalDispatcher, InternalRequest } from '../http/route.js';
import { silentLogger } from './deps.js';
import type { JournalRecord } from './journal.js';
import { tryAcquireLease, type Lease } from './lease.js';
import { Limiter } from './limiter.js';
import { newBatchId, type StoredBatch } from './model.js';
import { runBatch, type RunnerDeps } from './runner.js';
import { BatchStore } from './store.js';

const EP = '/v1/chat/completions';
const jsonl = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: EP, body: { model: 'm', messages: [{ role: 'user', content: `q${i}` }] } })).join('\n');

/** Answers each chat request with its own prompt, so outputs can be matched to lines. */
class EchoDispatcher implements InternalDispatcher {
  readonly calls: InternalRequest[] = [];
  delayMs = 0;
  dispatch = async (r: InternalRequest) => {
    this.calls.push(r);
    if (this.delayMs) await new Promise((res) => setTimeout(res, this.delayMs));
    const messages = r.body['messages'] as Array<{ content: string }>;
    return { status: 200, body: { echo: messages[0]!.content } };
  };
  isBusy = () => false;
  knownModels = () => new Set(['m']);
}

describe('runBatch', () => {
  let root: string;
  let storage: LocalFileStorage;
  let store: BatchStore;
  let dispatcher: EchoDispatcher;
  let now: number;
  let deps: RunnerDeps;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runner-unit-'));
    storage = new LocalFileStorage({ root });
    store = new BatchStore(root);
    dispatcher = new EchoDispatcher();
    now = Date.now();
    deps = {
      store,
      storage,
      dispatcher,
      limiter: new Limiter(4),
      logger: silentLogger,
      clock: { now: () => now },
      settings: { workers: 4, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, busyPollMs: 2, tickMs: 10, validation: {} },
    };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function newBatch(content: string): Promise<{ id: string; lease: Lease }> {
    const input = await storage.create(content, { filename: 'in.jsonl', purpose: 'batch' });
    const id = newBatchId(now);
    const s: StoredBatch = {
      batch: {
        id,
        object: 'batch',
        endpoint: EP,
        errors: null,
        input_file_id: input.id,
        completion_window: '24h',
        status: 'validating',
        output_file_id: null,
        error_file_id: null,
        created_at: Math.floor(now / 1000),
        in_progress_at: null,
        expires_at: Math.floor(now / 1000) + 86_400,
        finalizing_at: null,
        completed_at: null,
        failed_at: null,
        expired_at: null,
        cancelling_at: null,
        cancelled_at: null,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: null,
      },
      runtime: { fence: 0 },
    };
    await store.create(s);
    return { id, lease: (await tryAcquireLease(store.batchDir(id), { owner: 't', ttlMs: 10_000 }))! };
  }

  const lines = async (fileId: string | null) =>
    fileId ? (await text((await storage.openContent(fileId))!)).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; error: { code: string } | null; response: { body: { echo: string } } | null }) : [];

  it('validates, runs every line once, and writes the output file', async () => {
    const { id, lease } = await newBatch(jsonl(20));
    expect(await runBatch(id, lease, deps, new AbortController().signal)).toBe('done');
    const batch = (await store.read(id))!.batch;
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 20, completed: 20, failed: 0 }, error_file_id: null });
    const out = await lines(batch.output_file_id);
    expect(out.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
    for (const l of out) expect(l.response?.body.echo).toBe(`q${l.custom_id.slice(1)}`);
    expect(dispatcher.calls).toHaveLength(20);
  });

  it('a failed validation ends the batch as failed with errors, dispatching nothing', async () => {
    const { id, lease } = await newBatch('{"custom_id":"x"}');
    expect(await runBatch(id, lease, deps, new AbortController().signal)).toBe('done');
    expect((await store.read(id))!.batch).toMatchObject({ status: 'failed', errors: { object: 'list', data: [expect.objectContaining({ line: 1 })] } });
    expect(dispatcher.calls).toHaveLength(0);
  });

  it('resumes from the journal: journaled lines are not sent again, nor doubled in the output', async () => {
    const { id, lease } = await newBatch(jsonl(10));
    const s = (await store.read(id))!;
    s.batch.status = 'in_progress';
    s.batch.in_progress_at = s.batch.created_at;
    s.batch.request_counts.total = 10;
    await store.save(s, lease);
    const done = (cid: string): JournalRecord => ({
      custom_id: cid,
      line: 1,
      ok: true,
      fence: 1,
      result: { id: `batch_req_${cid}`, custom_id: cid, response: { status_code: 200, request_id: 'r', body: { echo: `q${cid.slice(1)}` } }, error: null },
    });
    // Three finished lines and a torn fourth, as a SIGKILL mid-append would leave.
    await appendFile(store.journalPath(id), `${['c0', 'c3', 'c7'].map((c) => JSON.stringify(done(c))).join('\n')}\n{"custom_id":"c9","ok":tr`);

    expect(await runBatch(id, lease, deps, new AbortController().signal)).toBe('done');
    expect(dispatcher.calls).toHaveLength(7);
    const batch = (await store.read(id))!.batch;
    expect(batch.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
    const ids = (await lines(batch.output_file_id)).map((l) => l.custom_id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });

  it('a stop leaves the batch in progress to resume; nothing is finalized', async () => {
    dispatcher.delayMs = 20;
    const { id, lease } = await newBatch(jsonl(40));
    const ac = new AbortController();
    const run = runBatch(id, lease, deps, ac.signal);
    setTimeout(() => ac.abort('stopped'), 50);
    expect(await run).toBe('stopped');
    const s = (await store.read(id))!;
    expect(s.batch.status).toBe('in_progress');
    expect(s.batch.request_counts.completed).toBeLessThan(40);

    dispatcher.delayMs = 0;
    expect(await runBatch(id, lease, deps, new AbortController().signal)).toBe('done');
    const ids = (await lines((await store.read(id))!.batch.output_file_id)).map((l) => l.custom_id);
    expect(new Set(ids).size).toBe(40);
    expect(ids).toHaveLength(40);
  });

  it('stops writing as soon as the lease is lost to another runner', async () => {
    dispatcher.delayMs = 20;
    const { id, lease } = await newBatch(jsonl(40));
    const ac = new AbortController();
    const run = runBatch(id, lease, deps, ac.signal);
    setTimeout(() => ac.abort('lease_lost'), 50);
    expect(await run).toBe('lease_lost');
    expect((await store.read(id))!.batch.status).toBe('in_progress');
  });

  it('a batch past expires_at expires: finished lines kept, the rest batch_expired', async () => {
    const { id, lease } = await newBatch(jsonl(5));
    now += 86_401_000;
    expect(await runBatch(id, lease, deps, new AbortController().signal)).toBe('done');
    const batch = (await store.read(id))!.batch;
    expect(batch).toMatchObject({ status: 'expired', output_file_id: null, request_counts: { total: 5, completed: 0, failed: 5 } });
    expect(batch.expired_at).toEqual(expect.any(Number));
    expect((await lines(batch.error_file_id)).map((l) => l.error?.code)).toEqual(Array(5).fill('batch_expired'));
  });

  it('a cancel requested before the run starts ends it as cancelled without dispatching', async () => {
    const { id, lease } = await newBatch(jsonl(5));
    await store.requestCancel(id, now);
    expect(await runBatch(id, lease, deps, new AbortController().signal)).toBe('done');
    expect((await store.read(id))!.batch).toMatchObject({ status: 'cancelled', cancelling_at: expect.any(Number), cancelled_at: expect.any(Number) });
    expect(dispatcher.calls).toHaveLength(0);
  });

  it('finalizing again after a crash rewrites the same planned files', async () => {
    const { id, lease } = await newBatch(jsonl(3));
    await runBatch(id, lease, deps, new AbortController().signal);
    const s = (await store.read(id))!;
    const first = s.batch.output_file_id;
    expect(first).toBe(s.runtime.plannedOutputFileId);
    // Pretend the process died between writing the files and saving the final status.
    s.batch.status = 'finalizing';
    await store.save(s, lease);
    await runBatch(id, lease, deps, new AbortController().signal);
    expect((await store.read(id))!.batch).toMatchObject({ status: 'completed', output_file_id: first });
    expect((await storage.list({ limit: 100, order: 'asc', purpose: 'batch_output' })).data).toHaveLength(1);
  });
});
