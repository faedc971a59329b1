import { fnv1a32, mix32 } from '../policies/hash-ring.js';

const TWO_POW_21 = 2 ** 21;

/**
 * Hashes of the text's leading full blocks of `blockChars` characters, at most `maxBlocks`, as a
 * chain: each block's hash covers every character before it (the running state carries over), so
 * equal hashes at block i mean equal prefixes up to block i. Seeded with the model so models never
 * share blocks. Two 32-bit lanes make 53-bit numbers: collisions are negligible at index sizes, and
 * numbers are cheap Map keys. No allocation besides the result.
 */
export function blockHashes(seed: string, text: string, blockChars: number, maxBlocks: number): number[] {
  const blocks = Math.min(maxBlocks, Math.floor(text.length / blockChars));
  const out = new Array<number>(blocks);
  let a = fnv1a32(seed);
  let b = mix32(a ^ 0x9e3779b9);
  let k = 0;
  for (let i = 0; i < blocks; i++) {
    for (const end = k + blockChars; k < end; k++) {
      const c = text.charCodeAt(k);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    out[i] = mix32(a) * TWO_POW_21 + (mix32(b + i) >>> 11);
  }
  return out;
}
