import { describe, expect, it } from '@jest/globals';
import { TimeBuckets } from './time-buckets.js';

describe('time buckets (a sliding window of per-second sums)', () => {
  it('sums what was added within the window', () => {
    const w = new TimeBuckets(10);
    w.add(1_000, 'started');
    w.add(1_500, 'started');
    w.addAll(5_200, { finished: 1, latencySum: 300 });
    expect(w.totals(5_999)).toMatchObject({ started: 2, finished: 1, latencySum: 300 });
  });

  it('forgets seconds that slid out of the window', () => {
    const w = new TimeBuckets(3);
    w.add(1_000, 'started'); // second 1
    w.add(2_000, 'started'); // second 2
    expect(w.totals(3_999).started).toBe(2); // window is seconds 1..3
    expect(w.totals(4_000).started).toBe(1); // seconds 2..4
    w.add(4_100, 'started'); // reuses second 1's bucket
    expect(w.totals(4_100).started).toBe(2);
    expect(w.totals(60_000).started).toBe(0);
  });

  it('keeps the same numbers however much is added', () => {
    const w = new TimeBuckets(60);
    const size = w.retainedNumbers;
    for (let i = 0; i < 200_000; i++) w.add(i * 7, 'started');
    expect(w.retainedNumbers).toBe(size);
    expect(w.totals(200_000 * 7).started).toBeLessThanOrEqual(60 * 143);
  });
});
