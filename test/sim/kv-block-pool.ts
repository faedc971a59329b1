/**
 * The GPU's KV cache as numGpuBlocks blocks of blockSize tokens, with vLLM-style automatic prefix caching:
 *
 * - A running request holds blocks: its full prompt blocks (shared, hashed, reusable by any request with the
 *   same prefix) and private ones (the partial prompt tail and the blocks its decode grows into).
 * - When a request ends its hashed blocks stay cached but become free (reference count 0) and evictable.
 * - When blocks are needed, free cached blocks are evicted least-recently-used first. A finished request's
 *   blocks are released tail first, so its last blocks are evicted before its first (prefixes survive longest).
 * - usage = blocks held by running requests / numGpuBlocks, clamped to [0, 1]. Free cached blocks do not count,
 *   which matches vLLM's kv_cache_usage_perc and SGLang's token_usage. The sim never preempts: if running
 *   requests need more than numGpuBlocks, usage reads 1 and nothing more can be cached.
 */
export interface KvAllocation {
  readonly promptTokens: number;
  /** Hashes of the prompt's full blocks (see promptBlockHashes). */
  readonly hashes: readonly string[];
  /** Prompt tokens served from the cache at admission (a multiple of the block size). */
  readonly cachedTokens: number;
  /** Hashed blocks this request holds a reference on, in prompt order. */
  shared: string[];
  privateBlocks: number;
}

export class KvBlockPool {
  /** hash -> reference count; Map insertion order is the LRU order (oldest first). */
  private readonly blocks = new Map<string, number>();
  private privateBlocks = 0;
  private referenced = 0;
  private evicted = 0;

  constructor(
    readonly blockSize: number,
    readonly capacity: number,
  ) {}

  /** Take the longest cached prefix. At least one prompt token is always computed, as in vLLM. */
  admit(hashes: readonly string[], promptTokens: number): KvAllocation {
    const maxHitBlocks = Math.min(hashes.length, Math.floor(Math.max(0, promptTokens - 1) / this.blockSize));
    let hitBlocks = 0;
    while (hitBlocks < maxHitBlocks && this.blocks.has(hashes[hitBlocks])) hitBlocks++;
    const alloc: KvAllocation = { promptTokens, hashes, cachedTokens: hitBlocks * this.blockSize, shared: [], privateBlocks: 0 };
    for (let i = 0; i < hitBlocks; i++) this.reference(alloc, hashes[i]);
    this.resize(alloc, this.blocksFor(promptTokens) - hitBlocks);
    return alloc;
  }

  /** After prefill the prompt's full blocks are computed and become reusable by later requests. */
  commitPrompt(alloc: KvAllocation): void {
    for (let i = alloc.shared.length; i < alloc.hashes.length; i++) this.reference(alloc, alloc.hashes[i]);
    this.resize(alloc, this.blocksFor(alloc.promptTokens) - alloc.shared.length);
  }

  /** Decode: the sequence (prompt + generated) grows into new private blocks at block boundaries. */
  grow(alloc: KvAllocation, sequenceTokens: number): void {
    this.resize(alloc, this.blocksFor(sequenceTokens) - alloc.shared.length);
  }

  release(alloc: KvAllocation): void {
    for (let i = alloc.shared.length - 1; i >= 0; i--) {
      const hash = alloc.shared[i];
      const refs = (this.blocks.get(hash) ?? 1) - 1;
      if (refs === 0) this.referenced--;
      // Re-insert to mark as recently used; tail first, so the head ends up newest.
      this.blocks.delete(hash);
      this.blocks.set(hash, refs);
    }
    alloc.shared = [];
    this.privateBlocks -= alloc.privateBlocks;
    alloc.privateBlocks = 0;
  }

  /** How many leading blocks of this chain are cached now (for tests and the router's expectations). */
  cachedPrefixBlocks(hashes: readonly string[]): number {
    let n = 0;
    while (n < hashes.length && this.blocks.has(hashes[n])) n++;
    return n;
  }

  get usage(): number {
    return Math.min(1, (this.referenced + this.privateBlocks) / this.capacity);
  }

  /** Hashed blocks resident in the cache, held or free. */
  get cachedBlocks(): number {
    return this.blocks.size;
  }

  get evictedBlocks(): number {
    return this.evicted;
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  private reference(alloc: KvAllocation, hash: string): void {
    const refs = this.blocks.get(hash) ?? 0;
    if (refs === 0) this.referenced++;
    this.blocks.delete(hash);
    this.blocks.set(hash, refs + 1);
    alloc.shared.push(hash);
  }

  private resize(alloc: KvAllocation, privateBlocks: number): void {
    this.privateBlocks += privateBlocks - alloc.privateBlocks;
    alloc.privateBlocks = privateBlocks;
    this.evictToFit();
  }

  /** Evict free cached blocks, oldest first, until everything fits; held blocks are never evicted. */
  private evictToFit(): void {
    let over = this.blocks.size + this.privateBlocks - this.capacity;
    if (over <= 0) return;
    for (const [hash, refs] of this.blocks) {
      if (over <= 0) break;
      if (refs !== 0) continue;
      this.blocks.delete(hash);
      this.evicted++;
      over--;
    }
  }
}
