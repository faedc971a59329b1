/**
 * In-flight requests per engine at this proxy. Lives across routing-table swaps (keyed by engine id)
 * so a reload never resets the counts that least-loaded decisions use.
 */
export class LoadTracker {
  private readonly inFlight = new Map<string, number>();

  get(engineId: string): number {
    return this.inFlight.get(engineId) ?? 0;
  }

  /** Counts one request on the engine; call the returned function exactly once when it ends. */
  begin(engineId: string): () => void {
    this.inFlight.set(engineId, this.get(engineId) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.get(engineId) - 1;
      if (left > 0) this.inFlight.set(engineId, left);
      else this.inFlight.delete(engineId);
    };
  }

  total(): number {
    let sum = 0;
    for (const n of this.inFlight.values()) sum += n;
    return sum;
  }
}
