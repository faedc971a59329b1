import { describe, expect, it } from '@jest/globals';
import { HashRing } from './hash-ring.js';

const keys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);

function assignment(ring: HashRing): Map<string, string> {
  return new Map(keys.map((k) => [k, ring.lookup(k)!]));
}

describe('consistent hash ring', () => {
  it('sends the same key to the same member every time', () => {
    const ring = new HashRing(['a', 'b', 'c']);
    expect(ring.lookup('user-42')).toBe(ring.lookup('user-42'));
    expect(new HashRing(['c', 'a', 'b']).lookup('user-42')).toBe(ring.lookup('user-42'));
  });

  it('spreads keys evenly enough across members', () => {
    const counts = new Map<string, number>();
    for (const owner of assignment(new HashRing(['e1', 'e2', 'e3', 'e4'])).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    for (const n of counts.values()) expect(Math.abs(n / keys.length - 0.25)).toBeLessThan(0.06);
  });

  it.each([1, 2, 4, 8])('adding one member to %i moves about 1/(N+1) of the keys, all to the newcomer', (n) => {
    const members = Array.from({ length: n }, (_, i) => `http://127.0.0.${i + 2}:8000`);
    const before = assignment(new HashRing(members));
    const after = assignment(new HashRing([...members, 'http://127.0.0.99:8000']));
    let moved = 0;
    for (const [key, owner] of after)
      if (owner !== before.get(key)) {
        moved++;
        expect(owner).toBe('http://127.0.0.99:8000');
      }
    const expected = 1 / (n + 1);
    expect(moved / keys.length).toBeGreaterThan(expected * 0.7);
    expect(moved / keys.length).toBeLessThan(expected * 1.3);
  });

  it('removing a member moves only that member\'s keys', () => {
    const before = assignment(new HashRing(['a', 'b', 'c']));
    const after = assignment(new HashRing(['a', 'c']));
    for (const [key, owner] of before) if (owner !== 'b') expect(after.get(key)).toBe(owner);
  });

  it('answers undefined when empty', () => {
    expect(new HashRing([]).lookup('x')).toBeUndefined();
    expect(new HashRing([]).lookupAmong('x', () => true)).toBeUndefined();
  });

  it('looks a key up among some members exactly as a ring of only those members would', () => {
    const full = new HashRing(['a', 'b', 'c', 'd']);
    for (const allowed of [['a', 'c'], ['b'], ['a', 'b', 'd'], ['a', 'b', 'c', 'd']]) {
      const subset = assignment(new HashRing(allowed));
      for (const key of keys.slice(0, 2000)) expect(full.lookupAmong(key, (m) => allowed.includes(m))).toBe(subset.get(key));
    }
    expect(full.lookupAmong('x', () => false)).toBeUndefined();
  });
});
