import { describe, expect, it } from '@jest/globals';
import { FairQueue, type QueueKey } from './fair-queue.js';

const key = (tenant: string, priority = 0, weight = 1, trafficClass: QueueKey['trafficClass'] = 'interactive'): QueueKey => ({ tenant, priority, weight, trafficClass });

/** Admit n items in order and say whose they were. */
function admit(queue: FairQueue<string>, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = queue.ordered().next();
    if (next.done) break;
    queue.take(next.value);
    out.push(next.value.value);
  }
  return out;
}

describe('FairQueue', () => {
  it('admits the lowest priority value first and keeps arrival order within one priority', () => {
    const q = new FairQueue<string>();
    q.push(key('t', 5), 'p5-first');
    q.push(key('t', 0), 'p0-first');
    q.push(key('t', 5), 'p5-second');
    q.push(key('t', -3), 'p-3');
    q.push(key('t', 0), 'p0-second');
    expect(admit(q, 5)).toEqual(['p-3', 'p0-first', 'p0-second', 'p5-first', 'p5-second']);
    expect(q.size).toBe(0);
  });

  it('puts batch lines behind every interactive request, whatever their priority', () => {
    const q = new FairQueue<string>();
    q.push(key('batch', -100, 1, 'batch'), 'batch');
    q.push(key('t', 1000), 'interactive');
    expect(admit(q, 2)).toEqual(['interactive', 'batch']);
  });

  it('shares a band between tenants by weight however many requests each queues', () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 300; i++) q.push(key('big', 0, 1), 'big');
    for (let i = 0; i < 30; i++) q.push(key('small', 0, 1), 'small');
    const first40 = admit(q, 40);
    expect(first40.filter((t) => t === 'small')).toHaveLength(20);

    const weighted = new FairQueue<string>();
    for (let i = 0; i < 100; i++) weighted.push(key('gold', 0, 3), 'gold');
    for (let i = 0; i < 100; i++) weighted.push(key('bronze', 0, 1), 'bronze');
    const first40w = admit(weighted, 40);
    expect(first40w.filter((t) => t === 'gold')).toHaveLength(30);
  });

  it('gives a tenant that was idle no banked credit: it starts at the band clock', () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 20; i++) q.push(key('a'), 'a');
    admit(q, 10);
    for (let i = 0; i < 20; i++) q.push(key('late'), 'late');
    // From here on the two alternate, instead of 'late' taking ten turns in a row.
    const next = admit(q, 10);
    expect(next.filter((t) => t === 'late')).toHaveLength(5);
  });

  it('gives up the tail of the most over-share tenant in the least urgent band when full', () => {
    const q = new FairQueue<string>();
    q.push(key('a', 0), 'a-urgent');
    for (let i = 0; i < 5; i++) q.push(key('flood', 1), `flood-${i}`);
    q.push(key('b', 1), 'b-normal');
    expect(q.worstInteractive()?.value).toBe('flood-4');
    // A newcomer from a tenant within its share precedes the flood's tail; another flood request does not.
    expect(q.wouldPrecede(key('c', 1), q.worstInteractive()!)).toBe(true);
    expect(q.wouldPrecede(key('flood', 1), q.worstInteractive()!)).toBe(false);
    expect(q.wouldPrecede(key('x', 0), q.worstInteractive()!)).toBe(true);
    expect(q.wouldPrecede(key('x', 2), q.worstInteractive()!)).toBe(false);
  });

  it('lets a removed tail give its turn back, and removes each item once', () => {
    const q = new FairQueue<string>();
    const a1 = q.push(key('a'), 'a1');
    const a2 = q.push(key('a'), 'a2');
    q.remove(a2);
    q.remove(a2);
    expect(q.size).toBe(1);
    const a3 = q.push(key('a'), 'a3');
    expect(a3.start).toBe(a2.start);
    q.remove(a1);
    expect(admit(q, 5)).toEqual(['a3']);
  });

  it('reports depth per band and per tenant, and drains in admission order', () => {
    const q = new FairQueue<string>();
    q.push(key('a', 1), 'a1');
    q.push(key('b', 0), 'b0');
    q.push(key('batch', 0, 1, 'batch'), 'line');
    expect(q.depths()).toEqual([
      { trafficClass: 'interactive', priority: 0, size: 1 },
      { trafficClass: 'interactive', priority: 1, size: 1 },
      { trafficClass: 'batch', priority: 0, size: 1 },
    ]);
    expect(q.sizeOf('interactive')).toBe(2);
    expect([...q.tenantDepths()]).toEqual([['b', 1], ['a', 1], ['batch', 1]]);
    expect(q.drain().map((i) => i.value)).toEqual(['b0', 'a1', 'line']);
    expect(q.size).toBe(0);
    expect(q.depths()).toEqual([]);
  });
});
