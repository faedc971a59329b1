import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseLostError, tryAcquireLease } from './lease.js';
import { newBatchId, type StoredBatch } from './model.js';
import { BatchStore } from './store.js';

function stored(id: string): StoredBatch {
  return {
    batch: {
      id,
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: 'file-0123456789abcdef0123456789ab',
      completion_window: '24h',
      status: 'in_progress',
      output_file_id: null,
      error_file_id: null,
      created_at: 1,
      in_progress_at: 1,
      expires_at: 86_401,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 1, completed: 0, failed: 0 },
      metadata: null,
    },
    runtime: { fence: 0 },
  };
}

describe('BatchStore', () => {
  let root: string;
  let store: BatchStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'store-unit-'));
    store = new BatchStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lists newest first and pages with after', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(newBatchId(Date.now()));
      await store.create(stored(ids.at(-1)!));
    }
    const newest = [...ids].reverse();
    const p1 = await store.list({ limit: 2 });
    expect(p1.data.map((b) => b.id)).toEqual(newest.slice(0, 2));
    expect(p1.has_more).toBe(true);
    const p3 = await store.list({ limit: 2, after: newest[3] });
    expect(p3).toEqual({ data: [expect.objectContaining({ id: newest[4] })], has_more: false });
  });

  it('shows a pending cancel request as cancelling, without touching the record', async () => {
    const id = newBatchId(Date.now());
    await store.create(stored(id));
    await store.requestCancel(id, 5_000);
    await store.requestCancel(id, 9_000); // the first request's time wins
    expect(await store.view(id)).toMatchObject({ status: 'cancelling', cancelling_at: 5 });
    expect((await store.read(id))?.batch.status).toBe('in_progress');
  });

  it('only the current lease holder may save, stamping its fencing token', async () => {
    const id = newBatchId(Date.now());
    await store.create(stored(id));
    let now = 0;
    const old = (await tryAcquireLease(store.batchDir(id), { owner: 'a', ttlMs: 1_000, now: () => now }))!;
    const s = (await store.read(id))!;
    await store.save(s, old);
    expect((await store.read(id))?.runtime.fence).toBe(1);

    now = 2_000;
    const next = (await tryAcquireLease(store.batchDir(id), { owner: 'b', ttlMs: 1_000, now: () => now }))!;
    await store.save((await store.read(id))!, next);
    now = 0; // the old holder's clock still believes in its lease
    s.batch.status = 'completed';
    await expect(store.save(s, old)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.read(id)).toMatchObject({ batch: { status: 'in_progress' }, runtime: { fence: 2 } });
  });

  it('unknown and malformed ids read as absent', async () => {
    expect(await store.read('batch_0123456789abcdef0123456789ab')).toBeUndefined();
    expect(await store.read('../../etc')).toBeUndefined();
  });
});
