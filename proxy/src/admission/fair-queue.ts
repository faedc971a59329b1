/**
 * Who goes next among the requests waiting for one model: the lowest class first (interactive before
 * batch), then the lowest priority value (as in vLLM: lower is more urgent), then each tenant's fair
 * share by weight, then arrival order.
 *
 * Fair shares use start-time fair queueing per priority band: a tenant's next request is tagged
 * `start = max(band clock, tenant's last finish)`, `finish = start + 1 / weight`; the smallest start
 * goes first and advances the band clock. A tenant with weight 3 gets tags three times as dense as a
 * tenant with weight 1, so it is admitted three times as often while both are backlogged; a tenant
 * that was idle starts at the band clock, so it can't bank credit, and one that floods the queue only
 * pushes its own tags further out.
 */

export const TRAFFIC_CLASSES = ['interactive', 'batch'] as const;
export type TrafficClass = (typeof TRAFFIC_CLASSES)[number];

export interface QueueKey {
  trafficClass: TrafficClass;
  priority: number;
  tenant: string;
  /** > 0; a tenant's share within its band is proportional to it. */
  weight: number;
}

export interface QueuedItem<T> {
  readonly key: QueueKey;
  readonly value: T;
  /** The fair-queueing start tag (see above). */
  readonly start: number;
  /** Arrival order, the last tie-breaker. */
  readonly seq: number;
}

interface Lane<T> {
  items: QueuedItem<T>[];
  lastFinish: number;
}

interface Band<T> {
  rank: number;
  trafficClass: TrafficClass;
  priority: number;
  clock: number;
  lanes: Map<string, Lane<T>>;
  size: number;
}

const classRank = (c: TrafficClass): number => (c === 'interactive' ? 0 : 1);

function compareBands(a: { rank: number; priority: number }, b: { rank: number; priority: number }): number {
  return a.rank - b.rank || a.priority - b.priority;
}

/** Orders items as described above; a removed or taken item is gone. Not thread-safe, no timers. */
export class FairQueue<T> {
  /** Sorted by (class, priority). */
  private readonly bands: Band<T>[] = [];
  private seq = 0;
  private counts = { interactive: 0, batch: 0 };

  get size(): number {
    return this.counts.interactive + this.counts.batch;
  }

  sizeOf(trafficClass: TrafficClass): number {
    return this.counts[trafficClass];
  }

  push(key: QueueKey, value: T): QueuedItem<T> {
    const band = this.band(key, true)!;
    const lane = band.lanes.get(key.tenant) ?? { items: [], lastFinish: 0 };
    band.lanes.set(key.tenant, lane);
    const item: QueuedItem<T> = { key, value, start: Math.max(band.clock, lane.lastFinish), seq: this.seq++ };
    lane.lastFinish = item.start + 1 / key.weight;
    lane.items.push(item);
    band.size++;
    this.counts[key.trafficClass]++;
    return item;
  }

  /** Take an item out because it was admitted: its start tag becomes the band clock. */
  take(item: QueuedItem<T>): void {
    const band = this.band(item.key, false);
    if (!band || !this.detach(band, item)) return;
    band.clock = Math.max(band.clock, item.start);
    this.tidy(band);
  }

  /** Take an item out without admitting it (timed out, cancelled, pushed out). Idempotent. */
  remove(item: QueuedItem<T>): void {
    const band = this.band(item.key, false);
    if (!band) return;
    const lane = band.lanes.get(item.key.tenant);
    const wasTail = lane !== undefined && lane.items.at(-1) === item;
    if (!this.detach(band, item)) return;
    // The tenant did not get that turn: a tail item gives its share back.
    if (wasTail && lane) lane.lastFinish = item.start;
    this.tidy(band);
  }

  /** Items in admission order. Stop iterating early to look at only the first few. */
  *ordered(): Generator<QueuedItem<T>> {
    for (const band of [...this.bands]) {
      const lanes = [...band.lanes.values()].filter((l) => l.items.length > 0);
      const cursors = lanes.map(() => 0);
      for (;;) {
        let best = -1;
        for (let i = 0; i < lanes.length; i++) {
          const candidate = lanes[i]!.items[cursors[i]!];
          if (!candidate) continue;
          const current = best < 0 ? undefined : lanes[best]!.items[cursors[best]!]!;
          if (!current || candidate.start < current.start || (candidate.start === current.start && candidate.seq < current.seq)) best = i;
        }
        if (best < 0) break;
        const item = lanes[best]!.items[cursors[best]!]!;
        cursors[best]!++;
        yield item;
      }
    }
  }

  /**
   * The interactive item a full queue should give up first: in the least urgent band, the last
   * item of the tenant furthest beyond its share.
   */
  worstInteractive(): QueuedItem<T> | undefined {
    for (let b = this.bands.length - 1; b >= 0; b--) {
      const band = this.bands[b]!;
      if (band.trafficClass !== 'interactive' || band.size === 0) continue;
      let worst: QueuedItem<T> | undefined;
      for (const lane of band.lanes.values()) {
        const tail = lane.items.at(-1);
        if (tail && (!worst || tail.start > worst.start || (tail.start === worst.start && tail.seq > worst.seq))) worst = tail;
      }
      return worst;
    }
    return undefined;
  }

  /** Whether an item with this key, pushed now, would be admitted before `other`. */
  wouldPrecede(key: QueueKey, other: QueuedItem<T>): boolean {
    const order = compareBands({ rank: classRank(key.trafficClass), priority: key.priority }, { rank: classRank(other.key.trafficClass), priority: other.key.priority });
    if (order !== 0) return order < 0;
    const band = this.band(key, false);
    const start = Math.max(band?.clock ?? 0, band?.lanes.get(key.tenant)?.lastFinish ?? 0);
    return start < other.start; // a tie goes to the earlier arrival, which is `other`
  }

  /** Queued items per (class, priority), most urgent first. */
  depths(): Array<{ trafficClass: TrafficClass; priority: number; size: number }> {
    return this.bands.filter((b) => b.size > 0).map((b) => ({ trafficClass: b.trafficClass, priority: b.priority, size: b.size }));
  }

  /** Queued items per tenant. */
  tenantDepths(): Map<string, number> {
    const out = new Map<string, number>();
    for (const band of this.bands) for (const [tenant, lane] of band.lanes) if (lane.items.length) out.set(tenant, (out.get(tenant) ?? 0) + lane.items.length);
    return out;
  }

  /** Empty the queue, handing back every item in admission order. */
  drain(): QueuedItem<T>[] {
    const all = [...this.ordered()];
    this.bands.length = 0;
    this.counts = { interactive: 0, batch: 0 };
    return all;
  }

  private detach(band: Band<T>, item: QueuedItem<T>): boolean {
    const lane = band.lanes.get(item.key.tenant);
    const at = lane ? lane.items.indexOf(item) : -1;
    if (!lane || at < 0) return false;
    lane.items.splice(at, 1);
    band.size--;
    this.counts[item.key.trafficClass]--;
    return true;
  }

  /** Forget lanes whose tags no longer matter, and empty bands (their clocks only order waiting items). */
  private tidy(band: Band<T>): void {
    for (const [tenant, lane] of band.lanes) if (lane.items.length === 0 && lane.lastFinish <= band.clock) band.lanes.delete(tenant);
    if (band.size === 0) this.bands.splice(this.bands.indexOf(band), 1);
  }

  private band(key: Pick<QueueKey, 'trafficClass' | 'priority'>, create: boolean): Band<T> | undefined {
    const probe = { rank: classRank(key.trafficClass), priority: key.priority };
    let lo = 0;
    let hi = this.bands.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBands(this.bands[mid]!, probe) < 0) lo = mid + 1;
      else hi = mid;
    }
    const found = this.bands[lo];
    if (found && compareBands(found, probe) === 0) return found;
    if (!create) return undefined;
    const band: Band<T> = { ...probe, trafficClass: key.trafficClass, priority: key.priority, clock: 0, lanes: new Map(), size: 0 };
    this.bands.splice(lo, 0, band);
    return band;
  }
}
