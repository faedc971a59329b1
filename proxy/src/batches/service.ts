import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FileStorage } from '../files/storage.js';
import { ProxyError, errors } from '../http/errors.js';
import type { InternalDispatcher } from '../http/route.js';
import { parseCreateParams } from './create-params.js';
import { silentLogger, systemClock, type Clock, type Logger } from './deps.js';
import { DEFAULT_RETRY, type RetryPolicy } from './execute-line.js';
import { tryAcquireLease, type Lease } from './lease.js';
import { Limiter } from './limiter.js';
import { MeteredBatchStore, type BatchMetrics } from './metrics.js';
import { DEFAULT_COMPLETION_WINDOWS, isTerminal, newBatchId, toSeconds, type BatchObject, type StoredBatch } from './model.js';
import { runBatch, type RunnerDeps } from './runner.js';
import { BatchStore, type BatchPage } from './store.js';
import type { ValidateOptions } from './validate.js';

export interface BatchServiceOptions {
  /** ProxyOptions.fileStoragePath: batches live in `<root>/batches`, next to the files. */
  root: string;
  storage: FileStorage;
  dispatcher: InternalDispatcher;
  /** ProxyOptions.batchConcurrency: lines in flight across all batches of this replica. */
  concurrency: number;
  logger?: Logger;
  /** Unique per process; default hostname:pid:random. */
  owner?: string;
  /** Batch timestamps and expiry. Leases always use the wall clock. */
  clock?: Clock;
  leaseTtlMs?: number;
  /** How often storage is scanned for batches to claim (new, or orphaned by a dead replica). */
  pollMs?: number;
  /** How often a running batch checks for cancel/expiry and saves progress. */
  tickMs?: number;
  busyPollMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Batches one replica runs at once. */
  maxActiveBatches?: number;
  completionWindows?: Readonly<Record<string, number>>;
  validation?: ValidateOptions;
  /** Line, status and active-batch metrics, in the proxy's registry. */
  metrics?: BatchMetrics;
}

interface ActiveRun {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Batches API logic plus the background loop that runs them. Every replica answers reads from
 * storage; running is claimed per batch with a fenced lease, so each batch has one runner at a time.
 */
export class BatchService {
  readonly store: BatchStore;
  readonly owner: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly windows: Readonly<Record<string, number>>;
  private readonly leaseTtlMs: number;
  private readonly pollMs: number;
  private readonly maxActive: number;
  private readonly runnerDeps: RunnerDeps;
  private readonly runs = new Map<string, ActiveRun>();
  /** Terminal batches never change again, so they are not re-read on every scan. */
  private readonly finished = new Set<string>();
  private readonly retryAfter = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private started = false;

  constructor(private readonly options: BatchServiceOptions) {
    this.store = options.metrics ? new MeteredBatchStore(options.root, options.metrics) : new BatchStore(options.root);
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.windows = options.completionWindows ?? DEFAULT_COMPLETION_WINDOWS;
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.pollMs = options.pollMs ?? 2_000;
    this.maxActive = options.maxActiveBatches ?? 4;
    this.runnerDeps = {
      store: this.store,
      storage: options.storage,
      dispatcher: options.dispatcher,
      limiter: new Limiter(options.concurrency),
      logger: this.logger,
      clock: this.clock,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      settings: {
        workers: options.concurrency,
        retry: { ...DEFAULT_RETRY, ...options.retry },
        busyPollMs: options.busyPollMs ?? 250,
        tickMs: options.tickMs ?? 1_000,
        validation: options.validation ?? {},
      },
    };
  }

  /** Resume whatever storage says is unfinished, then keep looking for work. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    await this.poll();
  }

  /** Stop claiming, stop running lines (they resume later, here or on another replica), release leases. */
  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.timer);
    for (const run of this.runs.values()) run.abort.abort('stopped');
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  async create(body: unknown): Promise<BatchObject> {
    const params = parseCreateParams(body, this.windows);
    const input = await this.options.storage.get(params.input_file_id);
    if (!input) throw new ProxyError(404, 'file_not_found', `No such File object: ${params.input_file_id}`, 'not_found_error', 'input_file_id');
    // "unknown" is what the reference stores for an upload without a purpose; it runs such files too.
    if (input.purpose !== 'batch' && input.purpose !== 'unknown') {
      throw errors.badRequest(`The input file must be uploaded with purpose "batch"; ${input.id} has "${input.purpose}".`, 'input_file_id', 'invalid_input_file');
    }
    const now = this.clock.now();
    const stored: StoredBatch = {
      batch: {
        id: newBatchId(now),
        object: 'batch',
        endpoint: params.endpoint,
        errors: null,
        input_file_id: params.input_file_id,
        completion_window: params.completion_window,
        status: 'validating',
        output_file_id: null,
        error_file_id: null,
        created_at: toSeconds(now),
        in_progress_at: null,
        expires_at: toSeconds(now + params.windowMs),
        finalizing_at: null,
        completed_at: null,
        failed_at: null,
        expired_at: null,
        cancelling_at: null,
        cancelled_at: null,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: params.metadata,
      },
      runtime: { fence: 0 },
    };
    await this.store.create(stored);
    this.logger.info('batch created', { batch: stored.batch.id, input: params.input_file_id, endpoint: params.endpoint });
    this.kick();
    return stored.batch;
  }

  async get(id: string): Promise<BatchObject> {
    const batch = await this.store.view(id);
    if (!batch) throw notFound(id);
    return batch;
  }

  list(query: { limit: number; after?: string }): Promise<BatchPage> {
    return this.store.list(query);
  }

  /** Ask for cancellation; whichever replica runs the batch (or claims it next) carries it out. */
  async cancel(id: string): Promise<BatchObject> {
    const stored = await this.store.read(id);
    if (!stored) throw notFound(id);
    const { status } = stored.batch;
    if (status === 'cancelled') return stored.batch;
    if (isTerminal(status)) {
      throw errors.badRequest(`Cannot cancel batch ${id}: it is already ${status}.`, null, 'batch_not_cancellable');
    }
    await this.store.requestCancel(id, this.clock.now());
    this.kick();
    return this.get(id);
  }

  /** Look for work soon (a new batch, a cancel, a finished run freeing a slot). */
  kick(): void {
    if (!this.started) return;
    if (this.polling) this.pollAgain = true;
    else void this.poll();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        await this.scan();
      } while (this.pollAgain && this.started);
    } catch (err) {
      this.logger.error('batch scan failed', { error: String(err) });
    } finally {
      this.polling = false;
    }
  }

  private async scan(): Promise<void> {
    for (const id of await this.store.ids()) {
      if (!this.started || this.runs.size >= this.maxActive) return;
      if (this.runs.has(id) || this.finished.has(id) || (this.retryAfter.get(id) ?? 0) > Date.now()) continue;
      const stored = await this.store.read(id);
      if (!stored) continue;
      if (isTerminal(stored.batch.status)) {
        this.finished.add(id);
        continue;
      }
      const lease = await tryAcquireLease(this.store.batchDir(id), { owner: this.owner, ttlMs: this.leaseTtlMs });
      if (!lease) continue;
      if (!this.started) {
        await lease.release(); // stopped while claiming: hand it straight back
        return;
      }
      this.launch(id, lease);
    }
  }

  private launch(id: string, lease: Lease): void {
    this.logger.info('batch claimed', { batch: id, owner: this.owner, token: lease.token });
    this.options.metrics?.active.inc();
    const abort = new AbortController();
    let renewing = false;
    const renewTimer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      lease
        .renew()
        .then((held) => {
          if (!held) abort.abort('lease_lost');
        })
        .catch((err: unknown) => {
          // Storage hiccup: keep trying while the lease is still ours by the clock.
          this.logger.warn('batch lease renewal failed', { batch: id, error: String(err) });
          if (!lease.isHeld()) abort.abort('lease_lost');
        })
        .finally(() => (renewing = false));
    }, Math.max(10, Math.floor(this.leaseTtlMs / 3)));

    const done = runBatch(id, lease, this.runnerDeps, abort.signal)
      .then((end) => {
        if (end === 'done') this.finished.add(id);
        if (end === 'lease_lost') this.logger.warn('batch lease lost; another replica continues it', { batch: id, token: lease.token });
      })
      .catch((err: unknown) => {
        this.logger.error('batch run failed; will retry', { batch: id, error: String(err) });
        this.retryAfter.set(id, Date.now() + 10 * this.pollMs);
      })
      .finally(async () => {
        clearInterval(renewTimer);
        this.options.metrics?.active.dec();
        await lease.release().catch(() => undefined);
        this.runs.delete(id);
        this.kick();
      });
    this.runs.set(id, { abort, done });
  }
}

function notFound(id: string): ProxyError {
  return errors.notFound(`No such batch: ${id}`, 'batch_not_found');
}
