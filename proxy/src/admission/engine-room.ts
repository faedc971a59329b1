/**
 * Which engines can take another request now: fewer than --max-concurrency-per-engine requests in
 * flight from this router, and not saturated by their own scraped signals (waiting queue above
 * --max-engine-waiting, KV-cache use above --max-engine-kv-usage).
 *
 * Scrapes are seconds apart, so between two scrapes the waiting count is estimated. Once a scrape
 * has shown the engine full (requests waiting), its slots are known (the most it ran while others
 * waited), and the estimate is the scraped running + waiting, plus what this router sent there since,
 * minus what ended there since, beyond those slots: a burst can't all land on one engine between two
 * scrapes. Before the engine was ever seen full its slots are unknown and the scraped value alone
 * counts (a burst may overshoot for one scrape interval; --max-concurrency-per-engine bounds it
 * exactly).
 */

export interface RoomLimits {
  /** 0 = unlimited. */
  maxConcurrencyPerEngine: number;
  maxEngineWaiting?: number;
  /** 0..1 */
  maxEngineKvUsage?: number;
}

/** What the scraper last read from one engine, fresh ones only. */
export interface EngineLoadSignal {
  running: number;
  waiting: number;
  kvUsage: number;
  /** When it was read (any clock, only compared for change). */
  scrapedAt: number;
}

export type SaturationReason = 'concurrency' | 'waiting' | 'kv_usage';

export interface RoomStatus {
  room: boolean;
  reason?: SaturationReason;
  inFlight: number;
  /** The engine's waiting queue as estimated now (see above), when signals are used. */
  estimatedWaiting?: number;
  kvUsage?: number;
}

interface EngineCount {
  inFlight: number;
  scrapedAt: number | undefined;
  sentSinceScrape: number;
  endedSinceScrape: number;
  /** Requests the engine runs at once, learned from a scrape that showed it full. */
  slots: number | undefined;
}

export class EngineRoom {
  private readonly engines = new Map<string, EngineCount>();

  constructor(
    readonly limits: RoomLimits,
    private readonly signals: (engineId: string) => EngineLoadSignal | undefined = () => undefined,
  ) {}

  /** True when any limit can hold a request back (otherwise admission never queues). */
  get limited(): boolean {
    return this.limits.maxConcurrencyPerEngine > 0 || this.limits.maxEngineWaiting !== undefined || this.limits.maxEngineKvUsage !== undefined;
  }

  inFlight(engineId: string): number {
    return this.engines.get(engineId)?.inFlight ?? 0;
  }

  status(engineId: string): RoomStatus {
    const count = this.engines.get(engineId);
    const inFlight = count?.inFlight ?? 0;
    const { maxConcurrencyPerEngine: max, maxEngineWaiting, maxEngineKvUsage } = this.limits;
    if (max > 0 && inFlight >= max) return { room: false, reason: 'concurrency', inFlight };
    if (maxEngineWaiting === undefined && maxEngineKvUsage === undefined) return { room: true, inFlight };
    const signal = this.signals(engineId);
    if (!signal) return { room: true, inFlight }; // unknown or stale: the concurrency limit alone decides
    const c = this.count(engineId, signal);
    const estimatedWaiting =
      c.slots === undefined ? signal.waiting : Math.max(0, signal.running + signal.waiting + c.sentSinceScrape - c.endedSinceScrape - c.slots);
    const seen = { inFlight, estimatedWaiting, kvUsage: signal.kvUsage };
    if (maxEngineWaiting !== undefined && estimatedWaiting > maxEngineWaiting) return { room: false, reason: 'waiting', ...seen };
    if (maxEngineKvUsage !== undefined && signal.kvUsage > maxEngineKvUsage) return { room: false, reason: 'kv_usage', ...seen };
    return { room: true, ...seen };
  }

  hasRoom(engineId: string): boolean {
    return this.status(engineId).room;
  }

  /** Count a request sent to the engine; call the returned function exactly once when it ends. */
  acquire(engineId: string): () => void {
    const c = this.count(engineId, this.signals(engineId));
    c.inFlight++;
    c.sentSinceScrape++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      c.inFlight--;
      c.endedSinceScrape++;
    };
  }

  /** Forget idle engines that left the routing table (one coming back keeps its in-flight count). */
  retain(engineIds: ReadonlySet<string>): void {
    for (const [id, c] of this.engines) if (!engineIds.has(id) && c.inFlight === 0) this.engines.delete(id);
  }

  /** The engine's counters, reset to "since this scrape" when a new scrape is seen. */
  private count(engineId: string, signal: EngineLoadSignal | undefined): EngineCount {
    let c = this.engines.get(engineId);
    if (!c) {
      c = { inFlight: 0, scrapedAt: undefined, sentSinceScrape: 0, endedSinceScrape: 0, slots: undefined };
      this.engines.set(engineId, c);
    }
    if (signal && signal.scrapedAt !== c.scrapedAt) {
      c.scrapedAt = signal.scrapedAt;
      c.sentSinceScrape = 0;
      c.endedSinceScrape = 0;
      if (signal.waiting > 0 && signal.running > 0) c.slots = Math.max(c.slots ?? 0, signal.running);
    }
    return c;
  }
}
