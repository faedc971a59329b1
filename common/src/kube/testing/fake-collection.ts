import type { KubernetesObject } from '@kubernetes/client-node';
import type { ListResult, ListWatcher, WatchEvent } from '../informer.js';
import { KubeApiError } from '../kube-errors.js';

/**
 * An in-memory API collection for unit tests: put/remove change it and reach open watches at once;
 * failNextList / breakWatches inject the failures informers must survive.
 */
export class FakeCollection<T extends KubernetesObject> implements ListWatcher<T> {
  private readonly objects = new Map<string, T>();
  private readonly watchers = new Set<{ onEvent: (e: WatchEvent<T>) => void; fail: (err: Error) => void }>();
  private rv = 1;
  /** Every change, so a watch from an older resourceVersion gets what it missed (as the API server does). */
  private readonly history: { rv: number; event: WatchEvent<T> }[] = [];
  private listFailures: Error[] = [];
  lists = 0;

  put(obj: T): T {
    const name = obj.metadata?.name ?? '';
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } } as T;
    const type = this.objects.has(name) ? 'MODIFIED' : 'ADDED';
    this.objects.set(name, stored);
    this.publish({ type, object: stored });
    return stored;
  }

  remove(name: string): void {
    const obj = this.objects.get(name);
    if (!obj) return;
    this.objects.delete(name);
    ++this.rv;
    this.publish({ type: 'DELETED', object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } } });
  }

  private publish(event: WatchEvent<T>): void {
    this.history.push({ rv: this.rv, event });
    for (const w of this.watchers) w.onEvent(event);
  }

  failNextList(err: Error = new KubeApiError(403, 'Forbidden', 'configmaps is forbidden')): void {
    this.listFailures.push(err);
  }

  /** Ends every open watch with an error (the informer must come back). */
  breakWatches(err: Error = new KubeApiError(0, 'ECONNRESET', 'connection reset', { code: 'network' })): void {
    for (const w of [...this.watchers]) w.fail(err);
  }

  async list(): Promise<ListResult<T>> {
    this.lists++;
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    return { items: [...this.objects.values()], resourceVersion: String(this.rv) };
  }

  watch(rv: string, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal, onOpen: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const entry = {
        onEvent,
        fail: (err: Error) => {
          this.watchers.delete(entry);
          reject(err);
        },
      };
      this.watchers.add(entry);
      signal.addEventListener('abort', () => {
        this.watchers.delete(entry);
        resolve();
      });
      onOpen();
      for (const h of this.history) if (h.rv > Number(rv)) onEvent(h.event);
    });
  }
}
