import { describe, expect, it } from '@jest/globals';
import { Limiter } from './limiter.js';

describe('Limiter', () => {
  it('admits up to the limit and serves waiters in order', async () => {
    const limiter = new Limiter(2);
    const r1 = (await limiter.acquire())!;
    await limiter.acquire();
    const order: number[] = [];
    const w1 = limiter.acquire().then((r) => (order.push(1), r));
    const w2 = limiter.acquire().then((r) => (order.push(2), r));
    expect(limiter.inUse).toBe(2);
    r1();
    r1(); // a second release of the same grant is ignored
    await w1;
    expect(order).toEqual([1]);
    expect(limiter.inUse).toBe(2);
    (await w1)!();
    await w2;
    expect(order).toEqual([1, 2]);
  });

  it('an aborted waiter leaves the queue without taking a slot', async () => {
    const limiter = new Limiter(1);
    const release = (await limiter.acquire())!;
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    ac.abort();
    expect(await waiting).toBeUndefined();
    release();
    expect(limiter.inUse).toBe(0);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new Limiter(0)).toThrow();
  });
});
