import type { FileStorage } from '../files/storage.js';
import type { InternalDispatcher } from '../http/route.js';
import type { Clock, Logger } from './deps.js';
import { executeLine, type RetryPolicy } from './execute-line.js';
import { finalizeBatch } from './finalize.js';
import { JournalWriter, replayJournal } from './journal.js';
import { LeaseLostError, type Lease } from './lease.js';
import type { Limiter } from './limiter.js';
import { AttemptCounter, type BatchMetrics } from './metrics.js';
import { isTerminal, toSeconds, type BatchError, type BatchOutcome, type BatchRequestLine, type StoredBatch } from './model.js';
import type { BatchStore } from './store.js';
import { parseRequestLine, readLines, validateInput, type ValidateOptions, type ValidationResult } from './validate.js';

export interface RunnerSettings {
  /** Lines of one batch in flight at once (the shared limiter caps the replica as a whole). */
  workers: number;
  retry: RetryPolicy;
  busyPollMs: number;
  /** How often a run looks for cancel requests and expiry, and saves progress. */
  tickMs: number;
  validation: ValidateOptions;
}

export interface RunnerDeps {
  store: BatchStore;
  storage: FileStorage;
  dispatcher: InternalDispatcher;
  limiter: Limiter;
  logger: Logger;
  clock: Clock;
  settings: RunnerSettings;
  metrics?: BatchMetrics;
}

/** `done`: the batch is terminal. `stopped`/`lease_lost`: it was left to resume later, here or elsewhere. */
export type RunEnd = 'done' | 'stopped' | 'lease_lost';

/** Why the lines stopped running. */
type Halt = BatchOutcome | 'stopped' | 'lease_lost';

/**
 * Drive one batch, held under `lease`, from wherever its record says it is to a terminal state.
 * `signal` aborts with reason 'lease_lost' or anything else (meaning shutdown).
 */
export async function runBatch(id: string, lease: Lease, deps: RunnerDeps, signal: AbortSignal): Promise<RunEnd> {
  try {
    return await new BatchRun(id, lease, deps, signal).run();
  } catch (err) {
    if (err instanceof LeaseLostError) return 'lease_lost';
    throw err;
  }
}

class BatchRun {
  constructor(
    private readonly id: string,
    private readonly lease: Lease,
    private readonly deps: RunnerDeps,
    private readonly signal: AbortSignal,
  ) {}

  async run(): Promise<RunEnd> {
    const stored = await this.deps.store.read(this.id);
    if (!stored || isTerminal(stored.batch.status)) return 'done';
    let outcome = stored.runtime.outcome;
    if (outcome === undefined) {
      const cancelAt = await this.deps.store.cancelRequestedAt(this.id);
      if (stored.batch.status === 'validating') {
        if (cancelAt !== undefined) outcome = 'cancelled';
        else if (!(await this.validate(stored))) return 'done';
      }
      if (outcome === undefined && !(await this.deps.storage.get(stored.batch.input_file_id))) {
        await this.fail(stored, [missingInput(stored.batch.input_file_id)]);
        return 'done';
      }
      if (outcome === undefined) {
        const halt = await this.execute(stored);
        if (halt === 'stopped' || halt === 'lease_lost') return halt;
        outcome = halt;
      }
    }
    if (outcome === 'cancelled' && stored.batch.cancelling_at === null) {
      stored.batch.cancelling_at = toSeconds((await this.deps.store.cancelRequestedAt(this.id)) ?? this.deps.clock.now());
    }
    await finalizeBatch(stored, outcome, this.lease, this.deps);
    this.deps.logger.info('batch finished', { batch: this.id, status: stored.batch.status, counts: stored.batch.request_counts });
    return 'done';
  }

  /** Whole-file checks; false when the batch failed them (and is now saved as failed). */
  private async validate(stored: StoredBatch): Promise<boolean> {
    const { batch } = stored;
    const input = await this.deps.storage.openContent(batch.input_file_id);
    const result: ValidationResult = input
      ? await validateInput(readLines(input), batch.endpoint, this.deps.settings.validation).finally(() => input.destroy())
      : { ok: false, errors: [missingInput(batch.input_file_id)] };
    if (!result.ok) {
      await this.fail(stored, result.errors);
      return false;
    }
    batch.status = 'in_progress';
    batch.in_progress_at = toSeconds(this.deps.clock.now());
    batch.request_counts = { total: result.total, completed: 0, failed: 0 };
    await this.deps.store.save(stored, this.lease);
    return true;
  }

  private async fail(stored: StoredBatch, errors: BatchError[]): Promise<void> {
    stored.batch.status = 'failed';
    stored.batch.failed_at = toSeconds(this.deps.clock.now());
    stored.batch.errors = { object: 'list', data: errors };
    await this.deps.store.save(stored, this.lease);
    this.deps.logger.warn('batch failed', { batch: this.id, errors: errors.slice(0, 3) });
  }

  /** Run every line not yet journaled until all are done or something halts the run. */
  private async execute(stored: StoredBatch): Promise<Halt> {
    const { store, settings, clock } = this.deps;
    const { batch } = stored;
    const journalPath = store.journalPath(this.id);
    const done = new Set<string>();
    let completed = 0;
    let failed = 0;
    const replay = await replayJournal(journalPath, (r) => {
      if (done.has(r.custom_id)) return;
      done.add(r.custom_id);
      if (r.ok) completed++;
      else failed++;
    });
    if (replay.skipped > 0) this.deps.logger.warn('batch journal had unreadable lines; those lines run again', { batch: this.id, skipped: replay.skipped });
    if (done.size > 0) this.deps.logger.info('batch resumed', { batch: this.id, alreadyDone: done.size });

    const ac = new AbortController();
    let halt: Halt | undefined;
    const stop = (why: Halt) => {
      halt ??= why;
      ac.abort(why);
    };
    const onOuterAbort = () => stop(this.signal.reason === 'lease_lost' ? 'lease_lost' : 'stopped');
    if (this.signal.aborted) onOuterAbort();
    this.signal.addEventListener('abort', onOuterAbort, { once: true });

    let dirty = false;
    const checkpoint = async () => {
      if (!dirty || halt === 'lease_lost') return;
      dirty = false;
      batch.request_counts = { ...batch.request_counts, completed, failed };
      await store.save(stored, this.lease);
    };
    // Cancel and expiry are looked for on a tick: cancel requests can arrive through any replica.
    const tick = async () => {
      if ((await store.cancelRequestedAt(this.id)) !== undefined) {
        if (batch.status !== 'cancelling') {
          batch.status = 'cancelling';
          batch.cancelling_at = toSeconds((await store.cancelRequestedAt(this.id)) ?? clock.now());
          dirty = true;
        }
        stop('cancelled');
      } else if (clock.now() >= batch.expires_at * 1000) {
        stop('expired');
      }
      await checkpoint();
    };
    const onTickError = (err: unknown) => {
      if (err instanceof LeaseLostError) stop('lease_lost');
      else this.deps.logger.warn('batch progress save failed', { batch: this.id, error: String(err) });
    };
    await tick().catch(onTickError);
    let ticking: Promise<void> | undefined;
    const timer = setInterval(() => {
      ticking ??= tick()
        .catch(onTickError)
        .finally(() => (ticking = undefined));
    }, settings.tickMs);

    const journal = await JournalWriter.open(journalPath, () => this.lease.assertHeld());
    const input = await this.deps.storage.openContent(batch.input_file_id);
    if (!input) {
      clearInterval(timer);
      this.signal.removeEventListener('abort', onOuterAbort);
      await journal.close();
      throw new Error(`input file ${batch.input_file_id} disappeared`);
    }
    const lines = this.pending(readLines(input), done, batch.endpoint);
    // A storage failure stops every worker, then surfaces to the service (which retries later).
    let failure: unknown;
    const worker = async () => {
      try {
        while (!ac.signal.aborted) {
          const next = await lines.next();
          if (next.done) return;
          const request = next.value;
          const dispatcher = new AttemptCounter(this.deps.dispatcher);
          const result = await executeLine(request, {
            dispatcher,
            endpoint: batch.endpoint,
            limiter: this.deps.limiter,
            retry: settings.retry,
            busyPollMs: settings.busyPollMs,
            signal: ac.signal,
          });
          // A line cut short by cancel, expiry or shutdown has no result and is not journaled, also when
          // the dispatcher answered instead of throwing (the routing core turns its own abort into a 499).
          if (!result || (ac.signal.aborted && !result.ok)) {
            this.deps.metrics?.retried(dispatcher.retries);
            return;
          }
          await journal.append({ custom_id: request.custom_id, line: request.line, ok: result.ok, result: result.result, fence: this.lease.token });
          this.deps.metrics?.lineFinished(result.ok, dispatcher.retries);
          if (result.ok) completed++;
          else failed++;
          dirty = true;
        }
      } catch (err) {
        if (err instanceof LeaseLostError) {
          stop('lease_lost');
        } else {
          failure ??= err;
          stop('stopped');
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: settings.workers }, worker));
    } finally {
      clearInterval(timer);
      this.signal.removeEventListener('abort', onOuterAbort);
      await lines.return(undefined);
      input.destroy();
      await journal.close();
      await ticking;
    }
    if (failure !== undefined) {
      await checkpoint().catch(onTickError);
      throw failure;
    }
    halt ??= 'completed';
    dirty = true;
    await checkpoint().catch(onTickError);
    return halt;
  }

  /** Input lines without a journal record, in file order. */
  private async *pending(raw: AsyncIterable<{ line: number; text: string }>, done: ReadonlySet<string>, endpoint: string): AsyncGenerator<BatchRequestLine> {
    for await (const line of raw) {
      const parsed = parseRequestLine(line, endpoint);
      if ('request' in parsed && !done.has(parsed.request.custom_id)) yield parsed.request;
    }
  }
}

function missingInput(fileId: string): BatchError {
  return { code: 'file_not_found', message: `The input file ${fileId} no longer exists.`, line: null, param: 'input_file_id' };
}
