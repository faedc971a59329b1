import { createHash } from 'node:crypto';

/** 32-bit FNV-1a: fast, well spread for short keys, no allocation. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3's finaliser: gives FNV's output full avalanche, so keys like "user-1", "user-2" spread out. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Consistent hashing with virtual nodes: each member owns many points on a 32-bit ring, and a key
 * belongs to the first point at or after its hash. Adding one member to N moves about 1/(N+1) of keys.
 */
export class HashRing {
  private readonly points: Uint32Array;
  private readonly owners: string[];

  constructor(members: readonly string[], readonly virtualNodes = 160) {
    const pairs: Array<[number, string]> = [];
    for (const member of members)
      for (let v = 0; v < virtualNodes; v++) {
        // md5 spreads the member's points far better than FNV on near-identical strings.
        const digest = createHash('md5').update(`${member}#${v}`).digest();
        for (let k = 0; k < 4; k++) pairs.push([digest.readUInt32BE(k * 4), member]);
      }
    pairs.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
    this.points = Uint32Array.from(pairs, (p) => p[0]);
    this.owners = pairs.map((p) => p[1]);
  }

  get size(): number {
    return this.points.length;
  }

  /** The member that owns the key, or undefined for an empty ring. */
  lookup(key: string): string | undefined {
    if (this.points.length === 0) return undefined;
    return this.owners[this.firstPointAtOrAfter(mix32(fnv1a32(key)))];
  }

  /**
   * The owner among the members `allowed` accepts: the first allowed point at or after the key's
   * hash. That is exactly the owner a ring of only the allowed members would give, so callers keep
   * one ring per member set instead of building one per subset.
   */
  lookupAmong(key: string, allowed: (member: string) => boolean): string | undefined {
    const n = this.points.length;
    const start = n === 0 ? 0 : this.firstPointAtOrAfter(mix32(fnv1a32(key)));
    for (let i = 0; i < n; i++) {
      const owner = this.owners[(start + i) % n]!;
      if (allowed(owner)) return owner;
    }
    return undefined;
  }

  private firstPointAtOrAfter(h: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.points.length ? 0 : lo;
  }
}
