/** One engine's remembered block hashes, least recently used first (Map insertion order). */
interface EngineBlocks {
  slot: number;
  lru: Map<number, true>;
}

/**
 * Which engines probably hold which prompt blocks in their KV cache: a bounded LRU of block hashes
 * per engine, and a global hash -> engines map that eviction keeps consistent. Memory is at most
 * (engines x per-engine capacity) entries, whatever the traffic.
 */
export class PrefixIndex {
  /** hash -> slots of the engines that hold it (usually one or two). */
  private readonly owners = new Map<number, number[]>();
  private readonly engines = new Map<string, EngineBlocks>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  /** For each engine, how many leading blocks of `hashes` it holds. */
  matchLengths(hashes: readonly number[], engineIds: readonly string[]): number[] {
    const slots = engineIds.map((id) => this.engines.get(id)?.slot ?? -1);
    const matched = new Array<number>(engineIds.length).fill(0);
    let alive = slots.some((s) => s >= 0);
    for (let i = 0; i < hashes.length && alive; i++) {
      const holders = this.owners.get(hashes[i]!);
      if (!holders) break;
      alive = false;
      for (let k = 0; k < slots.length; k++) {
        // Still matching only if it matched every block so far.
        if (matched[k] !== i || !holders.includes(slots[k]!)) continue;
        matched[k] = i + 1;
        alive = true;
      }
    }
    return matched;
  }

  /**
   * The engine now holds these blocks: mark them most recently used, head last so a prompt's tail is
   * evicted before its head (as engines do), then evict down to `capacity`.
   */
  record(engineId: string, hashes: readonly number[], capacity: number): void {
    const engine = this.engine(engineId);
    const { lru, slot } = engine;
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (lru.delete(h)) {
        lru.set(h, true);
        continue;
      }
      lru.set(h, true);
      const holders = this.owners.get(h);
      if (holders) holders.push(slot);
      else this.owners.set(h, [slot]);
    }
    this.evict(engine, capacity);
  }

  /** The engine does not hold these blocks after all (the request failed there). */
  forget(engineId: string, hashes: readonly number[]): void {
    const engine = this.engines.get(engineId);
    if (!engine) return;
    for (const h of hashes) if (engine.lru.delete(h)) this.dropOwner(h, engine.slot);
  }

  /** Forget every engine not in `engineIds`. */
  retain(engineIds: ReadonlySet<string>): void {
    for (const id of [...this.engines.keys()]) if (!engineIds.has(id)) this.remove(id);
  }

  remove(engineId: string): void {
    const engine = this.engines.get(engineId);
    if (!engine) return;
    this.evict(engine, 0);
    this.engines.delete(engineId);
    this.freeSlots.push(engine.slot);
  }

  /** Block hashes remembered per engine (the LRU sizes). */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.engines].map(([id, e]) => [id, e.lru.size]));
  }

  /** Distinct hashes in the global map. */
  get distinctBlocks(): number {
    return this.owners.size;
  }

  private engine(engineId: string): EngineBlocks {
    let engine = this.engines.get(engineId);
    if (!engine) {
      engine = { slot: this.freeSlots.pop() ?? this.nextSlot++, lru: new Map() };
      this.engines.set(engineId, engine);
    }
    return engine;
  }

  private evict(engine: EngineBlocks, capacity: number): void {
    const { lru, slot } = engine;
    let over = lru.size - capacity;
    if (over <= 0) return;
    for (const h of lru.keys()) {
      if (over-- <= 0) break;
      lru.delete(h);
      this.dropOwner(h, slot);
    }
  }

  private dropOwner(hash: number, slot: number): void {
    const holders = this.owners.get(hash);
    if (!holders) return;
    const at = holders.indexOf(slot);
    if (at >= 0) holders.splice(at, 1);
    if (holders.length === 0) this.owners.delete(hash);
  }
}
