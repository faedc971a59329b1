import type { Summary } from './stats.js';

/**
 * What the paced (open-loop, fixed-rate) generator is asked to do. One schedule at `rate` runs for
 * `seconds` per target; it goes to the targets in turn, `sliceMs` each, so a burst of other work on
 * the machine hits every target alike.
 */
export interface PacedConfig {
  urls: string[];
  body: string;
  rate: number;
  /** Sent at the rate first (in slices too) and not measured (JIT, connection pools). */
  warmupSeconds: number;
  /** Measured seconds per target. */
  seconds: number;
  sliceMs: number;
  connections: number;
  /** How long to wait for stragglers after the last scheduled send. */
  graceMs: number;
}

export interface PacedResult {
  scheduled: number;
  ok: number;
  failed: number;
  /** Requests still unanswered at the end of the grace period. */
  timedOut: number;
  /** Completed measured requests per second of the measured window. */
  achievedRate: number;
  /** Request end, from the time it was scheduled to be sent (includes any queueing: no coordinated omission). */
  latency: Summary;
  /** Request end, from the time it was actually handed to the socket pool. */
  serviceTime: Summary;
  /** First response body chunk, from the scheduled send time. */
  firstChunk: Summary;
  /** How late the generator's sends were against the schedule (timer granularity, its own load). */
  sendLag: Summary;
}
