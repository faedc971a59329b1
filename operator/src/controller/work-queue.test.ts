import { describe, expect, it } from '@jest/globals';
import { WorkQueue, type Scheduler } from './work-queue.js';

/** Timers the test fires by hand; records every delay asked for. */
function manualScheduler() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const scheduler: Scheduler = {
    schedule(fn, ms) {
      const entry = { fn, ms, cancelled: false };
      pending.push(entry);
      return { cancel: () => void (entry.cancelled = true) };
    },
  };
  const fireAll = () => {
    for (const e of pending.splice(0)) if (!e.cancelled) e.fn();
  };
  return { scheduler, pending, fireAll, delays: () => pending.filter((e) => !e.cancelled).map((e) => e.ms) };
}

/** A handler whose calls stay open until released, so tests can add keys mid-reconcile. */
function gatedHandler() {
  const calls: string[] = [];
  const gates: (() => void)[] = [];
  const handler = (key: string) => {
    calls.push(key);
    return new Promise<void>((resolve) => gates.push(resolve));
  };
  const releaseAll = async () => {
    for (const g of gates.splice(0)) g();
    await new Promise((r) => setImmediate(r));
  };
  return { handler, calls, releaseAll };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('handles a key once however often it was added while waiting', async () => {
    const gate = gatedHandler();
    const blocker = new WorkQueue(gate.handler, { concurrency: 1 });
    blocker.add('busy');
    for (const k of ['a', 'b', 'a', 'a', 'b']) blocker.add(k);
    expect(blocker.depth).toBe(2);
    await gate.releaseAll();
    await gate.releaseAll();
    await gate.releaseAll();
    expect(gate.calls).toEqual(['busy', 'a', 'b']);
  });

  it('holds work while paused (not the leader) and catches up on resume', async () => {
    const calls: string[] = [];
    const queue = new WorkQueue(async (k) => void calls.push(k));
    queue.pause();
    queue.add('a');
    queue.add('a');
    await tick();
    expect(calls).toEqual([]);
    queue.resume();
    await queue.whenIdle();
    expect(calls).toEqual(['a']);
  });

  it('never runs the same key twice at once, and runs it again when it was added meanwhile', async () => {
    const gate = gatedHandler();
    const queue = new WorkQueue(gate.handler, { concurrency: 4 });
    queue.add('a');
    queue.add('a'); // while a runs: marked for another pass, not run in parallel
    queue.add('b');
    await tick();
    expect(gate.calls).toEqual(['a', 'b']);
    await gate.releaseAll();
    expect(gate.calls).toEqual(['a', 'b', 'a']);
    await gate.releaseAll();
    await queue.whenIdle();
    expect(gate.calls).toEqual(['a', 'b', 'a']);
  });

  it('limits how many keys run at once', async () => {
    const gate = gatedHandler();
    const queue = new WorkQueue(gate.handler, { concurrency: 2 });
    for (const k of ['a', 'b', 'c']) queue.add(k);
    await tick();
    expect(gate.calls).toEqual(['a', 'b']);
    await gate.releaseAll();
    expect(gate.calls).toEqual(['a', 'b', 'c']);
    await gate.releaseAll();
  });

  it('retries a failing key with a backoff that doubles to its cap, and resets after a success', async () => {
    const timers = manualScheduler();
    let failuresLeft = 4;
    const errors: number[] = [];
    const queue = new WorkQueue(
      async () => {
        if (failuresLeft-- > 0) throw new Error('conflict');
      },
      { scheduler: timers.scheduler, backoff: { initialMs: 10, maxMs: 40 }, onError: (_k, _e, wait) => errors.push(wait) },
    );
    queue.add('a');
    for (let i = 0; i < 5; i++) {
      await queue.whenIdle();
      timers.fireAll();
    }
    await queue.whenIdle();
    expect(errors).toEqual([10, 20, 40, 40]);
    failuresLeft = 1;
    queue.add('a');
    await queue.whenIdle();
    expect(errors.at(-1)).toBe(10); // the success reset the backoff
  });

  it('requeues after the delay a reconcile asks for, keeping the earliest of several', async () => {
    const timers = manualScheduler();
    const calls: string[] = [];
    const queue = new WorkQueue(async (k) => {
      calls.push(k);
      return calls.length === 1 ? { requeueAfterMs: 500 } : undefined;
    }, { scheduler: timers.scheduler });
    queue.add('a');
    await queue.whenIdle();
    queue.addAfter('a', 900); // later than the pending 500: ignored
    queue.addAfter('a', 100); // earlier: replaces it
    expect(timers.delays()).toEqual([100]);
    timers.fireAll();
    await queue.whenIdle();
    expect(calls).toEqual(['a', 'a']);
  });

  it('reports its depth and stops taking work on shutdown', async () => {
    const depths: number[] = [];
    const gate = gatedHandler();
    const queue = new WorkQueue(gate.handler, { concurrency: 1, onDepth: (d) => depths.push(d) });
    queue.add('a');
    queue.add('b');
    const stopping = queue.shutDown();
    queue.add('c');
    await gate.releaseAll();
    await stopping;
    expect(gate.calls).toEqual(['a']);
    expect(depths).toContain(1);
    expect(depths.at(-1)).toBe(0);
  });
});
