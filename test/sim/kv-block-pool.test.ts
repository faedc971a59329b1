import { describe, expect, it } from '@jest/globals';
import { promptBlockHashes } from './block-hashes.js';
import { KvBlockPool } from './kv-block-pool.js';

/** Run a request through the pool the way the serving model does, to completion. */
function serve(pool: KvBlockPool, hashes: string[], promptTokens: number, outputTokens = 1): number {
  const alloc = pool.admit(hashes, promptTokens);
  pool.commitPrompt(alloc);
  pool.grow(alloc, promptTokens + outputTokens);
  pool.release(alloc);
  return alloc.cachedTokens;
}

describe('KV block pool (prefix cache with LRU eviction)', () => {
  // Block size 4: hashes are synthetic, one per full block of a prompt.
  const chain = (name: string, blocks: number) => Array.from({ length: blocks }, (_, i) => `${name}${i}`);

  it('hashes prompt blocks as a chain: a block matches only after an identical prefix', () => {
    const text = (head: string) => `${head}${'x'.repeat(60)}`; // 16 tokens = 4 blocks of 4
    const one = promptBlockHashes('m', text('aaaa'), 16, 4);
    const two = promptBlockHashes('m', text('bbbb'), 16, 4);
    expect(one).toHaveLength(4);
    // Same text from block 1 on, but different parents: no block is shared.
    expect(one.filter((h) => two.includes(h))).toEqual([]);
    expect(promptBlockHashes('m', text('aaaa'), 16, 4)).toEqual(one);
    expect(promptBlockHashes('other-model', text('aaaa'), 16, 4)).not.toEqual(one);
  });

  it('hits the cached leading blocks but always computes the last prompt token', () => {
    const pool = new KvBlockPool(4, 100);
    expect(serve(pool, chain('a', 3), 12)).toBe(0);
    // 12 tokens = 3 full blocks, but only the first 11 tokens may come from cache: 2 blocks.
    expect(serve(pool, chain('a', 3), 12)).toBe(8);
    expect(serve(pool, chain('a', 3), 13)).toBe(12);
  });

  it('evicts free blocks least recently used first, a finished request tail first', () => {
    // Prompts of exactly 2 blocks and no output, so each request holds only its prompt blocks.
    const pool = new KvBlockPool(4, 4);
    serve(pool, chain('a', 2), 8, 0);
    serve(pool, chain('b', 2), 8, 0);
    expect(pool.cachedBlocks).toBe(4);
    // c needs 2 blocks: the oldest free ones go, a's tail (a1) before its head (a0).
    serve(pool, chain('c', 2), 8, 0);
    expect(pool.cachedPrefixBlocks(chain('a', 2))).toBe(0);
    expect(pool.cachedPrefixBlocks(chain('b', 2))).toBe(2);
    expect(pool.evictedBlocks).toBe(2);
  });

  it('refreshes a block on reuse, so a recently hit prefix outlives an older one', () => {
    const pool = new KvBlockPool(4, 4);
    serve(pool, chain('a', 2), 8, 0);
    serve(pool, chain('b', 2), 8, 0);
    serve(pool, chain('a', 2), 8, 0); // a is now the most recently used
    serve(pool, chain('c', 1), 4, 0);
    expect(pool.cachedPrefixBlocks(chain('a', 2))).toBe(2);
    expect(pool.cachedPrefixBlocks(chain('b', 2))).toBe(1);
  });

  it('counts the decode blocks a request grows into, which can push out cached blocks', () => {
    const pool = new KvBlockPool(4, 4);
    serve(pool, chain('a', 2), 8, 0);
    // b: 2 prompt blocks + 1 decode block; only 1 of a's 2 free blocks can stay.
    serve(pool, chain('b', 2), 8, 1);
    expect(pool.cachedPrefixBlocks(chain('a', 2))).toBe(1);
  });

  it('reports usage as blocks held by running requests; cached free blocks do not count', () => {
    const pool = new KvBlockPool(4, 10);
    const first = pool.admit(chain('p', 2), 9); // 2 full blocks + 1 partial
    expect(pool.usage).toBeCloseTo(0.3);
    pool.commitPrompt(first);
    expect(pool.usage).toBeCloseTo(0.3);
    // A second request on the same prefix shares the two hashed blocks.
    const second = pool.admit(chain('p', 2), 9);
    expect(second.cachedTokens).toBe(8);
    expect(pool.usage).toBeCloseTo(0.4);
    // Decode grows the sequence into new blocks at block boundaries.
    pool.grow(first, 9 + 4);
    expect(pool.usage).toBeCloseTo(0.5);
    pool.release(first);
    pool.release(second);
    expect(pool.usage).toBe(0);
    expect(pool.cachedBlocks).toBe(2);
  });

  it('never evicts blocks in use and keeps usage within [0, 1] when overcommitted', () => {
    const pool = new KvBlockPool(4, 2);
    const big = pool.admit(chain('x', 3), 12);
    pool.commitPrompt(big);
    expect(pool.usage).toBe(1);
    expect(pool.cachedBlocks).toBe(3);
    pool.release(big);
    serve(pool, chain('y', 1), 4);
    expect(pool.cachedBlocks).toBeLessThanOrEqual(2);
  });
});
