import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseLostError, readLease, tryAcquireLease } from './lease.js';

describe('fenced lease on shared storage', () => {
  let dir: string;
  let now: number;
  const opts = (owner: string) => ({ owner, ttlMs: 1_000, now: () => now });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lease-unit-'));
    now = 1_000_000;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('the first claimant gets token 1; others are refused while it is held', async () => {
    const a = await tryAcquireLease(dir, opts('a'));
    expect(a?.token).toBe(1);
    expect(await tryAcquireLease(dir, opts('b'))).toBeUndefined();
    expect(await readLease(dir)).toEqual({ owner: 'a', token: 1, expiresAt: now + 1_000 });
  });

  it('exactly one of many simultaneous claimants wins', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => tryAcquireLease(dir, opts(`r${i}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('an expired lease is taken over with a higher token, and the old holder finds out', async () => {
    const a = (await tryAcquireLease(dir, opts('a')))!;
    now += 1_001;
    const b = (await tryAcquireLease(dir, opts('b')))!;
    expect(b.token).toBe(2);
    expect(await b.check()).toBe(true);
    expect(await a.check()).toBe(false);
    await expect(a.assertHeld()).rejects.toBeInstanceOf(LeaseLostError);
    expect(await a.renew()).toBe(false);
  });

  it('a holder stops trusting its lease before it expires (margin for skew)', async () => {
    const a = (await tryAcquireLease(dir, opts('a')))!;
    now += 800; // ttl 1000, margin 250
    expect(a.isHeld()).toBe(false);
  });

  it('renewal keeps the lease; a renewed lease is not taken over', async () => {
    const a = (await tryAcquireLease(dir, opts('a')))!;
    now += 500;
    expect(await a.renew()).toBe(true);
    now += 700;
    expect(await tryAcquireLease(dir, opts('b'))).toBeUndefined();
    expect(await a.check()).toBe(true);
  });

  it('a superseded holder whose clock says it still holds learns it lost from storage', async () => {
    const a = (await tryAcquireLease(dir, { ...opts('a'), now: () => 0 }))!; // a's clock is far behind
    now += 5_000;
    expect(await tryAcquireLease(dir, opts('b'))).toBeDefined();
    expect(a.isHeld()).toBe(true);
    expect(await a.renew()).toBe(false);
  });

  it('release lets the next claimant in at once', async () => {
    const a = (await tryAcquireLease(dir, opts('a')))!;
    await a.release();
    expect(a.isHeld()).toBe(false);
    expect((await tryAcquireLease(dir, opts('b')))?.token).toBe(2);
  });
});
