/** One engine's remembered block hashes, least recently used first (Map insertion order), each with when it was last recorded. */
interface EngineBlocks {
  slot: number;
  lru: Map<number, number>;
}

/**
 * How much a new prefix would push out of an engine's cache, to compare engines for a prompt no
 * engine holds: free room first, then how long blocks last there (the least recently used one's
 * last use, on the index's record clock: older means slower turnover, so less to lose).
 */
export interface CachePressure {
  /** Blocks the engine can take before it must evict. */
  freeBlocks: number;
  /** Record-clock tick of the engine's least recently used block; -1 when it holds nothing. */
  oldestUse: number;
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
  /** Counts record() calls: the index's notion of time for recency. */
  private clock = 0;

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
    const now = ++this.clock;
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i]!;
      if (lru.delete(h)) {
        lru.set(h, now);
        continue;
      }
      lru.set(h, now);
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

  /** The record clock: how many prompts were recorded so far. */
  get now(): number {
    return this.clock;
  }

  /** See CachePressure, for an engine that holds `capacity` blocks. */
  pressure(engineId: string, capacity: number): CachePressure {
    const engine = this.engines.get(engineId);
    if (!engine) return { freeBlocks: capacity, oldestUse: -1 };
    let oldestUse = -1;
    for (const used of engine.lru.values()) {
      oldestUse = used;
      break;
    }
    return { freeBlocks: Math.max(0, capacity - engine.lru.size), oldestUse };
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
