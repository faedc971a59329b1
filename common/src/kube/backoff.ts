import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** Up to this fraction of each delay is added at random, so many clients do not retry in step (default 0). */
  jitter?: number;
  random?: () => number;
}

/** Exponential backoff that doubles to a cap and starts over after reset(). */
export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { initialMs, maxMs, factor = 2, jitter = 0, random = Math.random } = this.options;
    const base = Math.min(maxMs, initialMs * factor ** Math.min(this.failures, 64));
    this.failures++;
    return Math.round(base + base * jitter * random());
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}

/** Sleeps `ms`, or less when `signal` aborts (it never rejects), so loops can stop promptly. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined);
