import { describe, expect, it } from '@jest/globals';
import { PrefixIndex } from './prefix-index.js';

const seq = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('prefix index', () => {
  it('matches leading blocks only, per engine', () => {
    const index = new PrefixIndex();
    index.record('a', [1, 2, 3, 4], 100);
    index.record('b', [1, 2], 100);
    index.record('c', [2, 3, 4], 100); // not a leading match for [1, ...]
    expect(index.matchLengths([1, 2, 3, 9], ['a', 'b', 'c', 'unknown'])).toEqual([3, 2, 0, 0]);
    expect(index.matchLengths([7, 1, 2], ['a', 'b'])).toEqual([0, 0]);
  });

  it('evicts each engine\'s least recently used blocks, tail before head, keeping the global map consistent', () => {
    const index = new PrefixIndex();
    index.record('a', [1, 2, 3], 4);
    index.record('a', [10, 11], 4); // over capacity by one: the oldest is 3, the tail of the first prompt
    expect(index.sizes()).toEqual({ a: 4 });
    expect(index.matchLengths([1, 2, 3], ['a'])).toEqual([2]);
    index.record('b', [1, 2, 3], 4);
    index.record('a', [20, 21, 22], 4); // evicts 2, 1 and 11 from a; b still holds 1 and 2
    expect(index.matchLengths([1, 2, 3], ['a', 'b'])).toEqual([0, 3]);
    expect(index.sizes()).toEqual({ a: 4, b: 3 });
    expect(index.distinctBlocks).toBe(7); // b: 1, 2, 3; a: 10, 20, 21, 22
  });

  it('stays within engines x capacity entries however many prompts are recorded', () => {
    const index = new PrefixIndex();
    for (let i = 0; i < 5000; i++) index.record(`e${i % 4}`, seq(i * 100, 50), 300);
    expect(Object.values(index.sizes())).toEqual([300, 300, 300, 300]);
    expect(index.distinctBlocks).toBeLessThanOrEqual(1200);
  });

  it('forgets blocks on request, and whole engines that left, reusing their slots', () => {
    const index = new PrefixIndex();
    index.record('a', [1, 2, 3], 100);
    index.record('b', [1, 2, 3], 100);
    index.forget('a', [2, 3]);
    expect(index.matchLengths([1, 2, 3], ['a', 'b'])).toEqual([1, 3]);
    index.retain(new Set(['a']));
    expect(index.sizes()).toEqual({ a: 1 });
    expect(index.distinctBlocks).toBe(1);
    index.record('c', [1, 2], 100); // takes b's old slot
    expect(index.matchLengths([1, 2], ['a', 'b', 'c'])).toEqual([1, 0, 2]);
  });

  it('tells how much room an engine has left and when its least recently used block was last recorded', () => {
    const index = new PrefixIndex();
    expect(index.pressure('a', 10)).toEqual({ freeBlocks: 10, oldestUse: -1 });
    index.record('a', [1, 2, 3], 10); // tick 1
    index.record('b', [4, 5], 10); // tick 2
    index.record('a', [6], 10); // tick 3
    expect(index.now).toBe(3);
    expect(index.pressure('a', 10)).toEqual({ freeBlocks: 6, oldestUse: 1 });
    index.record('a', [1, 2, 3], 10); // tick 4: the first prompt is fresh again, 6 is now the oldest
    expect(index.pressure('a', 10)).toEqual({ freeBlocks: 6, oldestUse: 3 });
    expect(index.pressure('a', 3)).toEqual({ freeBlocks: 0, oldestUse: 3 });
  });
});
