/** A stream to move off an engine that is leaving. */
export type DrainHandler = () => void;

export interface DrainWatchOptions {
  /** How long streams on an engine that left routing may keep running before they are moved. */
  graceMs: number;
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
  clearTimer?: (timer: unknown) => void;
}

/**
 * Planned drains: streams running on an engine that leaves the routing table (or turns not ready:
 * a pod terminating, a scale-down, a rollout) may finish for `graceMs`; then each is told to move.
 * An engine that comes back before the grace period ends keeps its streams.
 */
export class DrainWatch {
  private readonly streams = new Map<string, Set<DrainHandler>>();
  private readonly timers = new Map<string, unknown>();
  private routable: ReadonlySet<string> | undefined;
  private readonly setTimer: NonNullable<DrainWatchOptions['setTimer']>;
  private readonly clearTimer: NonNullable<DrainWatchOptions['clearTimer']>;

  constructor(private readonly options: DrainWatchOptions) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  /** Watch one stream on `engineId`; call the returned function when the stream ends. */
  track(engineId: string, onDrain: DrainHandler): () => void {
    let set = this.streams.get(engineId);
    if (!set) this.streams.set(engineId, (set = new Set()));
    set.add(onDrain);
    if (this.routable && !this.routable.has(engineId)) this.startGrace(engineId);
    return () => {
      const current = this.streams.get(engineId);
      if (!current) return;
      current.delete(onDrain);
      if (current.size === 0) {
        this.streams.delete(engineId);
        this.stopGrace(engineId);
      }
    };
  }

  /** A new routing table is in force: these engines are in it and ready. */
  setRoutable(engineIds: ReadonlySet<string>): void {
    this.routable = engineIds;
    for (const engineId of this.streams.keys()) {
      if (engineIds.has(engineId)) this.stopGrace(engineId);
      else this.startGrace(engineId);
    }
  }

  /** Streams being watched (for tests and /metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.streams.values()) n += set.size;
    return n;
  }

  private startGrace(engineId: string): void {
    if (this.timers.has(engineId)) return;
    const timer = this.setTimer(() => {
      this.timers.delete(engineId);
      const handlers = [...(this.streams.get(engineId) ?? [])];
      for (const handler of handlers) handler();
    }, this.options.graceMs);
    timer.unref?.();
    this.timers.set(engineId, timer);
  }

  private stopGrace(engineId: string): void {
    const timer = this.timers.get(engineId);
    if (timer === undefined) return;
    this.clearTimer(timer);
    this.timers.delete(engineId);
  }
}
