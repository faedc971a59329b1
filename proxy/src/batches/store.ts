import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExclusive, writeJsonAtomic } from '../files/atomic.js';
import { LeaseLostError, type Lease } from './lease.js';
import { isBatchId, isTerminal, toSeconds, type BatchObject, type StoredBatch } from './model.js';

export interface BatchPage {
  data: BatchObject[];
  has_more: boolean;
}

/**
 * Batch state on shared storage, one directory per batch:
 *   batch.json     the record (atomic rewrites; after create, only the lease holder writes it)
 *   cancel.json    a cancel request (written once by whichever replica got the API call)
 *   journal.jsonl  finished lines (see journal.ts)
 *   lease-N.json   runner leases (see lease.ts)
 * Keeping cancel apart from the record means an API call never races a runner's rewrite.
 */
export class BatchStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'batches');
  }

  batchDir(id: string): string {
    if (!isBatchId(id)) throw new Error(`invalid batch id: ${id}`);
    return join(this.dir, id);
  }

  journalPath(id: string): string {
    return join(this.batchDir(id), 'journal.jsonl');
  }

  async create(stored: StoredBatch): Promise<void> {
    const dir = this.batchDir(stored.batch.id);
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, 'batch.json'), stored);
  }

  async read(id: string): Promise<StoredBatch | undefined> {
    if (!isBatchId(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.batchDir(id), 'batch.json'), 'utf8')) as StoredBatch;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The batch as clients see it: a pending cancel request shows as `cancelling`. */
  async view(id: string): Promise<BatchObject | undefined> {
    const stored = await this.read(id);
    if (!stored) return undefined;
    return presentBatch(stored.batch, isTerminal(stored.batch.status) ? undefined : await this.cancelRequestedAt(id));
  }

  /**
   * Write the record as the holder of `lease`. Refused (LeaseLostError) when the lease lapsed, a
   * successor exists, or the record already carries a newer fencing token.
   */
  async save(stored: StoredBatch, lease: Lease): Promise<void> {
    await lease.assertHeld();
    const current = await this.read(stored.batch.id);
    if (current && current.runtime.fence > lease.token) throw new LeaseLostError(lease.token);
    stored.runtime.fence = lease.token;
    await writeJsonAtomic(join(this.batchDir(stored.batch.id), 'batch.json'), stored);
  }

  /** Record a cancel request; the first request's time wins. */
  async requestCancel(id: string, atMs: number): Promise<void> {
    await createExclusive(join(this.batchDir(id), 'cancel.json'), `${JSON.stringify({ at: atMs })}\n`);
  }

  async cancelRequestedAt(id: string): Promise<number | undefined> {
    try {
      const raw = JSON.parse(await readFile(join(this.batchDir(id), 'cancel.json'), 'utf8')) as { at?: unknown };
      return typeof raw.at === 'number' ? raw.at : Date.now();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** All batch ids, oldest first. */
  async ids(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter(isBatchId).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Newest first, as OpenAI lists batches; `after` is the last id of the previous page. */
  async list(query: { limit: number; after?: string }): Promise<BatchPage> {
    const ids = (await this.ids()).reverse();
    const start = query.after === undefined ? 0 : ids.findIndex((id) => id < query.after!);
    const data: BatchObject[] = [];
    if (start < 0) return { data, has_more: false };
    for (let i = start; i < ids.length; i++) {
      const batch = await this.view(ids[i]!);
      if (!batch) continue; // a create still in progress
      if (data.length === query.limit) return { data, has_more: true };
      data.push(batch);
    }
    return { data, has_more: false };
  }
}

export function presentBatch(batch: BatchObject, cancelRequestedAtMs: number | undefined): BatchObject {
  if (cancelRequestedAtMs === undefined || batch.status === 'cancelling') return batch;
  return { ...batch, status: 'cancelling', cancelling_at: toSeconds(cancelRequestedAtMs) };
}
