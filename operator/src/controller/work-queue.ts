import { Backoff, type BackoffOptions } from '@vllm-router/common';

/** What a reconcile asks of the queue: nothing, or to look again after a while (level-triggered polling). */
export type ReconcileResult = { requeueAfterMs?: number } | void;

export type Handler = (key: string) => Promise<ReconcileResult>;

/** Timers, injectable so tests drive backoff in milliseconds without waiting. */
export interface Scheduler {
  schedule(fn: () => void, ms: number): { cancel(): void };
}

export const realScheduler: Scheduler = {
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface WorkQueueOptions {
  /** Keys handled at once (different keys only). Default 2. */
  concurrency?: number;
  /** Per-key retry delays after errors (default 100 ms doubling to 60 s). */
  backoff?: BackoffOptions;
  scheduler?: Scheduler;
  /** Called with the number of keys waiting whenever it changes. */
  onDepth?: (depth: number) => void;
  /** Called when the handler throws (the key is retried after its backoff). */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

/**
 * A queue of object keys (`namespace/name`) in the style of client-go's workqueue: a key waits at
 * most once however often it is added; one key is never handled twice at once (an add during its
 * reconcile runs it again afterwards); failures retry with per-key exponential backoff, which a
 * success resets; `requeueAfterMs` schedules a later look.
 */
export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly waitingSet = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; cancel(): void }>();
  private readonly backoffs = new Map<string, Backoff>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly scheduler: Scheduler;
  private stopped = false;
  private paused = false;

  constructor(
    private readonly handler: Handler,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.scheduler = options.scheduler ?? realScheduler;
  }

  get depth(): number {
    return this.waiting.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waitingSet.has(key)) return;
    this.waitingSet.add(key);
    this.waiting.push(key);
    this.options.onDepth?.(this.waiting.length);
    this.pump();
  }

  /** Add `key` after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number, now = Date.now()): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const pending = this.delayed.get(key);
    if (pending && pending.at <= now + ms) return;
    pending?.cancel();
    const timer = this.scheduler.schedule(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at: now + ms, cancel: () => timer.cancel() });
  }

  /** Drop a key's pending retries and backoff (its object was deleted). */
  forget(key: string): void {
    this.delayed.get(key)?.cancel();
    this.delayed.delete(key);
    this.backoffs.delete(key);
  }

  /** Hold work (keys still collect, de-duplicated) until resume(): a replica that is not the leader. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves when nothing waits and nothing runs (delayed adds do not count). */
  whenIdle(): Promise<void> {
    if (this.waiting.length === 0 && this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking work; resolves when running handlers finish. */
  async shutDown(): Promise<void> {
    this.stopped = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    this.waiting.length = 0;
    this.waitingSet.clear();
    this.options.onDepth?.(0);
    await this.whenIdle();
  }

  private pump(): void {
    while (!this.stopped && !this.paused && this.processing.size < this.concurrency) {
      const index = this.waiting.findIndex((k) => !this.processing.has(k));
      if (index < 0) break;
      const [key] = this.waiting.splice(index, 1) as [string];
      this.waitingSet.delete(key);
      this.options.onDepth?.(this.waiting.length);
      this.processing.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.handler(key);
      this.backoffs.delete(key);
      this.processing.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const backoff = this.backoffs.get(key) ?? new Backoff(this.options.backoff ?? { initialMs: 100, maxMs: 60_000 });
      this.backoffs.set(key, backoff);
      const wait = backoff.next();
      this.options.onError?.(key, err, wait);
      this.processing.delete(key);
      this.addAfter(key, wait);
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    if (this.waiting.length === 0 && this.processing.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
