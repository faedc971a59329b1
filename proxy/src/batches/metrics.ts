import { Counter, Gauge, type Registry } from 'prom-client';
import type { InternalDispatcher, InternalRequest, InternalResponse } from '../http/route.js';
import type { Lease } from './lease.js';
import type { BatchStatus, StoredBatch } from './model.js';
import { BatchStore } from './store.js';

const STATUSES: readonly BatchStatus[] = ['validating', 'failed', 'in_progress', 'finalizing', 'completed', 'expired', 'cancelling', 'cancelled'];
const LINE_OUTCOMES = ['completed', 'failed', 'retried'] as const;

/** Batch metrics in the proxy's registry. Every label takes values from a closed set. */
export class BatchMetrics {
  readonly lines: Counter<'outcome'>;
  readonly statusChanges: Counter<'status'>;
  readonly active: Gauge;

  constructor(registry: Registry) {
    this.lines = new Counter({
      name: 'vllm_router_batch_lines_total',
      help: 'Batch lines finished by this replica (completed, failed), and line attempts retried after a transient failure (retried).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    this.statusChanges = new Counter({
      name: 'vllm_router_batch_status_transitions_total',
      help: 'Batch status changes saved by this replica, by the status entered.',
      labelNames: ['status'] as const,
      registers: [registry],
    });
    this.active = new Gauge({
      name: 'vllm_router_batches_active',
      help: 'Batches this replica is running now (holding their lease).',
      registers: [registry],
    });
    for (const outcome of LINE_OUTCOMES) this.lines.inc({ outcome }, 0);
    for (const status of STATUSES) this.statusChanges.inc({ status }, 0);
  }

  /** One line done: its outcome, and how many of its attempts were retries. */
  lineFinished(ok: boolean, retries: number): void {
    this.lines.inc({ outcome: ok ? 'completed' : 'failed' });
    this.retried(retries);
  }

  retried(retries: number): void {
    if (retries > 0) this.lines.inc({ outcome: 'retried' }, retries);
  }
}

/** Counts the dispatches of one line: every dispatch after the first is a retry. */
export class AttemptCounter implements InternalDispatcher {
  attempts = 0;

  constructor(private readonly inner: InternalDispatcher) {}

  get retries(): number {
    return Math.max(0, this.attempts - 1);
  }

  dispatch(request: InternalRequest): Promise<InternalResponse> {
    this.attempts++;
    return this.inner.dispatch(request);
  }

  isBusy(model: string): boolean {
    return this.inner.isBusy(model);
  }

  knownModels(): Set<string> {
    return this.inner.knownModels();
  }
}

/**
 * A BatchStore that counts status transitions as they are saved. The status each record had when it
 * was read (or last saved) is kept beside the record object, so a saved record whose status differs
 * is a transition, whichever code path (validation, the run, finalizing) made it.
 */
export class MeteredBatchStore extends BatchStore {
  private readonly statusAtLoad = new WeakMap<StoredBatch, BatchStatus>();

  constructor(
    root: string,
    private readonly metrics: BatchMetrics,
  ) {
    super(root);
  }

  override async create(stored: StoredBatch): Promise<void> {
    await super.create(stored);
    this.noteSaved(stored, undefined);
  }

  override async read(id: string): Promise<StoredBatch | undefined> {
    const stored = await super.read(id);
    if (stored) this.statusAtLoad.set(stored, stored.batch.status);
    return stored;
  }

  override async save(stored: StoredBatch, lease: Lease): Promise<void> {
    const before = this.statusAtLoad.get(stored);
    await super.save(stored, lease);
    this.noteSaved(stored, before);
  }

  private noteSaved(stored: StoredBatch, before: BatchStatus | undefined): void {
    const status = stored.batch.status;
    if (status !== before) this.metrics.statusChanges.inc({ status });
    this.statusAtLoad.set(stored, status);
  }
}
