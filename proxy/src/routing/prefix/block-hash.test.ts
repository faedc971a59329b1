import { describe, expect, it } from '@jest/globals';
import { blockHashes } from './block-hash.js';

const doc = 'The quick brown fox jumps over the lazy dog. '.repeat(20); // 900 characters

describe('prompt block hashes', () => {
  it('hashes full blocks only, at most maxBlocks', () => {
    expect(blockHashes('m', doc, 64, 100)).toHaveLength(14);
    expect(blockHashes('m', doc, 64, 5)).toHaveLength(5);
    expect(blockHashes('m', 'short', 64, 100)).toEqual([]);
  });

  it('gives prompts that share a prefix the same leading hashes, and different ones after they diverge', () => {
    const a = blockHashes('m', `${doc}first question`.padEnd(1100, '.'), 64, 100);
    const b = blockHashes('m', `${doc}other question`.padEnd(1100, '!'), 64, 100);
    expect(a.slice(0, 14)).toEqual(b.slice(0, 14));
    expect(a[14]).not.toBe(b[14]);
  });

  it('chains: an identical block after a different prefix hashes differently', () => {
    const block = 'x'.repeat(64);
    const a = blockHashes('m', `${'a'.repeat(64)}${block}`, 64, 10);
    const b = blockHashes('m', `${'b'.repeat(64)}${block}`, 64, 10);
    expect(a[1]).not.toBe(b[1]);
  });

  it('keeps models apart', () => {
    expect(blockHashes('model-a', doc, 64, 3)[0]).not.toBe(blockHashes('model-b', doc, 64, 3)[0]);
  });

  it('yields safe integers that spread', () => {
    const hashes = blockHashes('m', Array.from({ length: 2000 }, (_, i) => String.fromCharCode(33 + (i % 90))).join(''), 8, 250);
    for (const h of hashes) expect(Number.isSafeInteger(h)).toBe(true);
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});
