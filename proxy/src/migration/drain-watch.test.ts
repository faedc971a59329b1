import { describe, expect, it } from '@jest/globals';
import { DrainWatch } from './drain-watch.js';

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 0;
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const id = ++next;
      pending.set(id, { fn, ms });
      return id as unknown as { unref?: () => void };
    },
    clearTimer: (id: unknown) => void pending.delete(id as number),
    fireAll: () => {
      const all = [...pending.values()];
      pending.clear();
      for (const t of all) t.fn();
    },
  };
}

describe('DrainWatch', () => {
  it('moves the streams of an engine that left routing once the grace period ends', () => {
    const timers = manualTimers();
    const watch = new DrainWatch({ graceMs: 500, ...timers });
    const moved: string[] = [];
    watch.setRoutable(new Set(['a', 'b']));
    watch.track('a', () => moved.push('a1'));
    watch.track('a', () => moved.push('a2'));
    watch.track('b', () => moved.push('b1'));
    watch.setRoutable(new Set(['b']));
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([500]);
    expect(moved).toEqual([]);
    timers.fireAll();
    expect(moved).toEqual(['a1', 'a2']);
  });

  it('leaves alone streams that finish in time, and engines that come back', () => {
    const timers = manualTimers();
    const watch = new DrainWatch({ graceMs: 500, ...timers });
    const moved: string[] = [];
    const done = watch.track('a', () => moved.push('a'));
    watch.track('b', () => moved.push('b'));
    watch.setRoutable(new Set());
    expect(timers.pending.size).toBe(2);
    done();
    watch.setRoutable(new Set(['b']));
    expect(timers.pending.size).toBe(0);
    timers.fireAll();
    expect(moved).toEqual([]);
    expect(watch.size).toBe(1);
  });

  it('starts the grace period for a stream that begins on an engine already leaving', () => {
    const timers = manualTimers();
    const watch = new DrainWatch({ graceMs: 100, ...timers });
    watch.setRoutable(new Set(['b']));
    const moved: string[] = [];
    watch.track('a', () => moved.push('a'));
    timers.fireAll();
    expect(moved).toEqual(['a']);
  });
});
