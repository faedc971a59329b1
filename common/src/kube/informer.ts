import type { KubernetesObject } from '@kubernetes/client-node';
import { Backoff, realSleep, type BackoffOptions, type Sleep } from './backoff.js';
import { KubeApiError, isKubeError } from './kube-errors.js';

/** One line of a watch stream. ERROR carries a Status (410 Gone means: list again). */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: { code?: number; reason?: string; message?: string } };

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** Where an informer gets its objects: a list, then a watch from the list's resourceVersion. */
export interface ListWatcher<T> {
  list(signal: AbortSignal): Promise<ListResult<T>>;
  /** Resolves when the server ends the watch; rejects on failure. `onOpen` runs once it is accepted. */
  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal, onOpen: () => void): Promise<void>;
}

/** What a consumer must handle; the optional hooks report the informer's own state. */
export interface InformerHandlers<T> {
  add(obj: T): void;
  update(obj: T, old: T): void;
  delete(obj: T): void;
  /** Every cached object, each resync period (level-triggered consumers re-check them). */
  resync?(obj: T): void;
  /** After each successful (re)list: the cache matches the server. */
  synced?(): void;
  /** A list succeeded or a watch was accepted: the connection works again. */
  connected?(): void;
  /** A list or watch failed (other than 410 Gone); the informer retries after a backoff. */
  error?(err: Error, retryInMs: number): void;
}

export interface InformerOptions {
  /** 0 (default) disables resync. */
  resyncMs?: number;
  backoff?: BackoffOptions;
  /** A watch that ends cleanly sooner than this without events counts as a failure (no hot loop). */
  minWatchMs?: number;
  sleep?: Sleep;
  now?: () => number;
}

const keyOf = (obj: KubernetesObject): string => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

/**
 * List+watch cache of one kind of object (the reflector pattern of client-go, with the pitfalls of
 * client-node's ListWatch handled here): the watch resumes from the last resourceVersion seen; 410
 * Gone (on the watch request, as a watch event, or from the list) clears it and relists, firing
 * deletes for what vanished meanwhile; every other failure is retried after a backoff that doubles
 * to a cap and resets on the next event, so the informer never stops on its own.
 */
export class Informer<T extends KubernetesObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly backoff: Backoff;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private loop: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** How many times the informer listed (the first list included); tests and metrics read it. */
  lists = 0;

  constructor(
    private readonly source: ListWatcher<T>,
    private readonly options: InformerOptions = {},
  ) {
    this.backoff = new Backoff(options.backoff ?? { initialMs: 500, maxMs: 30_000, jitter: 0.2 });
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
  }

  handle(handlers: InformerHandlers<T>): this {
    this.handlers.push(handlers);
    return this;
  }

  /** Starts listing and watching in the background. */
  start(): void {
    if (this.loop || this.abort.signal.aborted) return;
    this.loop = this.run();
    if (this.options.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.resyncTimer);
    await this.loop;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  get hasSynced(): boolean {
    return this.syncedOnce;
  }

  /** Resolves after the first successful list (or on stop). */
  waitForSync(): Promise<void> {
    if (this.syncedOnce || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  get latestResourceVersion(): string {
    return this.resourceVersion;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (!this.resourceVersion) await this.relist(signal);
        if (signal.aborted) break;
        await this.watchOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        if (isKubeError(err, 'gone')) {
          this.resourceVersion = ''; // too old: list again right away
          continue;
        }
        const wait = this.backoff.next();
        const error = err instanceof Error ? err : new Error(String(err));
        for (const h of this.handlers) h.error?.(error, wait);
        await this.sleep(wait, signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.source.list(signal);
    if (signal.aborted) return;
    this.lists++;
    const fresh = new Map(items.map((o) => [keyOf(o), o]));
    for (const [key, old] of this.store) {
      if (!fresh.has(key)) {
        this.store.delete(key);
        for (const h of this.handlers) h.delete(old);
      }
    }
    for (const [key, obj] of fresh) this.upsert(key, obj);
    this.resourceVersion = resourceVersion;
    this.syncedOnce = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    for (const h of this.handlers) {
      h.connected?.();
      h.synced?.();
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    const started = this.now();
    let events = 0;
    let failure: Error | undefined;
    await this.source.watch(
      this.resourceVersion,
      (event) => {
        if (failure) return;
        if (event.type === 'ERROR') {
          const status = event.object;
          failure = new KubeApiError(status.code ?? 0, status.reason ?? '', `watch error: ${status.message ?? 'unknown'}`);
          return;
        }
        events++;
        this.backoff.reset();
        const obj = event.object;
        const rv = obj.metadata?.resourceVersion;
        if (event.type === 'DELETED') {
          const key = keyOf(obj);
          const old = this.store.get(key);
          this.store.delete(key);
          for (const h of this.handlers) h.delete(old ?? obj);
        } else if (event.type !== 'BOOKMARK') {
          this.upsert(keyOf(obj), obj);
        }
        if (rv) this.resourceVersion = rv;
      },
      signal,
      () => {
        for (const h of this.handlers) h.connected?.();
      },
    );
    if (failure) throw failure;
    if (events === 0 && this.now() - started < (this.options.minWatchMs ?? 1000) && !signal.aborted)
      throw new KubeApiError(0, 'WatchClosed', 'watch closed at once without events', { code: 'network' });
  }

  private upsert(key: string, obj: T): void {
    const old = this.store.get(key);
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return; // unchanged (a relist)
    this.store.set(key, obj);
    for (const h of this.handlers) {
      if (old) h.update(obj, old);
      else h.add(obj);
    }
  }

  private resync(): void {
    if (!this.syncedOnce) return;
    for (const obj of this.store.values()) for (const h of this.handlers) h.resync?.(obj);
  }
}
