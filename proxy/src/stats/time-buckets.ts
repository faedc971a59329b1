/** The per-second aggregates kept for each engine. */
export const FIELDS = [
  'started',
  'finished',
  /** Engine errors: 5xx, unreachable, timed out, cut. */
  'errors',
  /** 4xx answers from the engine. */
  'clientErrors',
  'ttftSum',
  'ttftCount',
  'itlSum',
  'itlCount',
  'latencySum',
  'promptTokens',
  'completionTokens',
  /** Finished requests whose response reported usage (the denominator of the average decode length). */
  'usageCount',
] as const;
export type Field = (typeof FIELDS)[number];
export type Totals = Record<Field, number>;

const INDEX = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<Field, number>;
const WIDTH = FIELDS.length;

/**
 * A sliding window as a ring of one-second buckets of sums: a fixed number of numbers however many
 * requests arrive, so memory never grows with traffic (the reference router keeps every request's
 * timestamps and leaks). The window covers the last `windowSeconds` whole seconds, the current one
 * included.
 */
export class TimeBuckets {
  readonly size: number;
  private readonly seconds: Float64Array;
  private readonly sums: Float64Array;

  constructor(windowSeconds: number) {
    this.size = Math.max(1, Math.ceil(windowSeconds));
    this.seconds = new Float64Array(this.size).fill(-Infinity);
    this.sums = new Float64Array(this.size * WIDTH);
  }

  /** Add to one field of the bucket for the second that contains `nowMs`. */
  add(nowMs: number, field: Field, amount = 1): void {
    this.sums[this.bucket(nowMs) + INDEX[field]] += amount;
  }

  /** Add several fields at once (one bucket lookup). */
  addAll(nowMs: number, values: Partial<Totals>): void {
    const base = this.bucket(nowMs);
    for (const key in values) {
      const v = values[key as Field];
      if (v) this.sums[base + INDEX[key as Field]] += v;
    }
  }

  /** Sums over the window ending at `nowMs`. */
  totals(nowMs: number): Totals {
    const out = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Totals;
    const current = Math.floor(nowMs / 1000);
    for (let b = 0; b < this.size; b++) {
      const second = this.seconds[b]!;
      if (second > current || second <= current - this.size) continue;
      const base = b * WIDTH;
      for (let f = 0; f < WIDTH; f++) out[FIELDS[f]!] += this.sums[base + f]!;
    }
    return out;
  }

  /** Numbers retained, whatever the traffic: the proof that memory is bounded. */
  get retainedNumbers(): number {
    return this.seconds.length + this.sums.length;
  }

  private bucket(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    const b = ((second % this.size) + this.size) % this.size;
    if (this.seconds[b] !== second) {
      this.seconds[b] = second;
      this.sums.fill(0, b * WIDTH, (b + 1) * WIDTH);
    }
    return b * WIDTH;
  }
}
