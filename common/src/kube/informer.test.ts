import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type ListResult, type ListWatcher, type WatchEvent } from './informer.js';
import { KubeApiError } from './kube-errors.js';

const cm = (name: string, rv: string, value = rv): V1ConfigMap => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, data: { v: value } });

type WatchScript = (emit: (e: WatchEvent<V1ConfigMap>) => void) => Promise<void>;

/** A scripted API server: each list and each watch call takes the next entry; the calls are recorded. */
function scripted(lists: ListResult<V1ConfigMap>[], watches: WatchScript[]) {
  const calls: string[] = [];
  let stopAfter: () => void = () => undefined;
  const source: ListWatcher<V1ConfigMap> = {
    async list() {
      calls.push('list');
      const next = lists.shift();
      if (!next) throw new Error('no more lists scripted');
      return next;
    },
    async watch(rv, onEvent, signal, onOpen) {
      calls.push(`watch@${rv}`);
      const next = watches.shift();
      if (!next) {
        stopAfter();
        // Park until stopped, as a quiet watch does.
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
      onOpen();
      await next(onEvent);
    },
  };
  const done = new Promise<void>((resolve) => (stopAfter = resolve));
  return { source, calls, done };
}

function recordingInformer(source: ListWatcher<V1ConfigMap>, delays: number[] = []) {
  const seen: string[] = [];
  const errors: string[] = [];
  const informer = new Informer(source, {
    backoff: { initialMs: 100, maxMs: 400 },
    minWatchMs: 0,
    sleep: async (ms) => void delays.push(ms),
  }).handle({
    add: (o) => seen.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    update: (o, old) => seen.push(`update ${o.metadata?.name}@${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`),
    delete: (o) => seen.push(`delete ${o.metadata?.name}`),
    error: (err, wait) => errors.push(`${err.message} (retry in ${wait})`),
  });
  return { informer, seen, errors };
}

describe('Informer', () => {
  it('lists, then watches from the list resourceVersion and keeps its cache current', async () => {
    const api = scripted(
      [{ items: [cm('a', '1')], resourceVersion: '10' }],
      [
        async (emit) => {
          emit({ type: 'ADDED', object: cm('b', '11') });
          emit({ type: 'MODIFIED', object: cm('a', '12') });
          emit({ type: 'DELETED', object: cm('b', '13') });
          emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } });
        },
      ],
    );
    const { informer, seen } = recordingInformer(api.source);
    informer.start();
    await informer.waitForSync();
    await api.done;
    expect(seen).toEqual(['add a@1', 'add b@11', 'update a@1->12', 'delete b']);
    // A clean end of the watch resumes from the last resourceVersion (the bookmark's), without a relist.
    expect(api.calls).toEqual(['list', 'watch@10', 'watch@15']);
    expect(informer.list().map((o) => o.data?.v)).toEqual(['12']);
    expect(informer.get('ns', 'a')?.metadata?.resourceVersion).toBe('12');
    await informer.stop();
  });

  it('relists on 410 Gone from the watch request, and reports what vanished meanwhile as deleted', async () => {
    const api = scripted(
      [
        { items: [cm('a', '1'), cm('b', '2')], resourceVersion: '10' },
        { items: [cm('a', '1'), cm('c', '30')], resourceVersion: '31' },
      ],
      [
        async () => {
          throw new KubeApiError(410, 'Expired', 'too old resource version');
        },
      ],
    );
    const { informer, seen, errors } = recordingInformer(api.source);
    informer.start();
    await api.done;
    expect(api.calls).toEqual(['list', 'watch@10', 'list', 'watch@31']);
    expect(seen).toEqual(['add a@1', 'add b@2', 'delete b', 'add c@30']); // unchanged a: no event
    expect(errors).toEqual([]); // 410 is routine, not an error
    expect(informer.lists).toBe(2);
    await informer.stop();
  });

  it('relists when a watch event says 410 Gone', async () => {
    const api = scripted(
      [
        { items: [], resourceVersion: '10' },
        { items: [cm('a', '40')], resourceVersion: '41' },
      ],
      [async (emit) => emit({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'too old' } })],
    );
    const { informer, seen } = recordingInformer(api.source);
    informer.start();
    await api.done;
    expect(api.calls).toEqual(['list', 'watch@10', 'list', 'watch@41']);
    expect(seen).toEqual(['add a@40']);
    await informer.stop();
  });

  it('restarts after other failures with a backoff that doubles to a cap and resets on the next event', async () => {
    const refused = async () => {
      throw new KubeApiError(0, 'ECONNREFUSED', 'connection refused', { code: 'network' });
    };
    const delays: number[] = [];
    const api = scripted(
      [{ items: [], resourceVersion: '10' }],
      [refused, refused, refused, refused, async (emit) => emit({ type: 'ADDED', object: cm('a', '11') }), refused],
    );
    const { informer, errors } = recordingInformer(api.source, delays);
    informer.start();
    await api.done;
    expect(delays).toEqual([100, 200, 400, 400, 100]);
    expect(errors[0]).toBe('connection refused (retry in 100)');
    // The watch keeps its place: no relist after ordinary failures.
    expect(api.calls.filter((c) => c === 'list')).toHaveLength(1);
    expect(api.calls.at(-1)).toBe('watch@11');
    await informer.stop();
  });

  it('treats a watch that ends at once without events as a failure, so it cannot spin', async () => {
    const delays: number[] = [];
    const api = scripted([{ items: [], resourceVersion: '10' }], [async () => undefined, async () => undefined]);
    let t = 0;
    const informer = new Informer(api.source, { backoff: { initialMs: 50, maxMs: 1000 }, minWatchMs: 1000, now: () => (t += 10), sleep: async (ms) => void delays.push(ms) });
    informer.handle({ add: () => undefined, update: () => undefined, delete: () => undefined });
    informer.start();
    await api.done;
    expect(delays).toEqual([50, 100]);
    await informer.stop();
  });

  it('retries a failed list after a backoff, and resolves waitForSync once a list succeeds', async () => {
    const delays: number[] = [];
    let attempts = 0;
    const source: ListWatcher<V1ConfigMap> = {
      async list() {
        if (++attempts < 3) throw new KubeApiError(503, 'ServiceUnavailable', 'apiserver starting');
        return { items: [cm('a', '1')], resourceVersion: '5' };
      },
      watch: (_rv, _on, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
    };
    const { informer } = recordingInformer(source, delays);
    informer.start();
    await informer.waitForSync();
    expect(attempts).toBe(3);
    expect(delays).toEqual([100, 200]);
    expect(informer.hasSynced).toBe(true);
    await informer.stop();
  });

  it('hands every cached object to resync handlers each period', async () => {
    const api = scripted([{ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '10' }], []);
    const resynced: string[] = [];
    const informer = new Informer(api.source, { resyncMs: 20 }).handle({
      add: () => undefined,
      update: () => undefined,
      delete: () => undefined,
      resync: (o) => resynced.push(o.metadata?.name ?? ''),
    });
    informer.start();
    await informer.waitForSync();
    await new Promise((r) => setTimeout(r, 70));
    await informer.stop();
    expect(resynced.slice(0, 4)).toEqual(['a', 'b', 'a', 'b']);
  });
});
