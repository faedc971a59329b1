import type { UpstreamExchange } from '../routing/routing-core.js';
import type { EngineGate } from '../routing/engine-gate.js';
import type { Capability } from '../routing/endpoints.js';
import type { PickRequest } from '../routing/policies/policy.js';
import { FairQueue, type QueuedItem, type TrafficClass } from './fair-queue.js';

/** One request as admission control sees it. */
export interface AdmissionRequest {
  /** The real model (alias resolved). */
  model: string;
  needs: readonly Capability[];
  pinnedEngineId?: string;
  /** What the routing policy sees, for the engine it has affinity for. */
  pick: PickRequest;
  trafficClass: TrafficClass;
  priority: number;
  tenant: string;
  /** Prompt tokens estimated before the engine counts them (charged against --rate-limit-tpm). */
  estimatedTokens: number;
  /** Aborted when the client leaves: a queued request leaves the queue. */
  signal: AbortSignal;
}

/** Sends the request through the routing core with the gate (undefined: no room limits in force). */
export type Dispatch = (gate: EngineGate | undefined) => Promise<UpstreamExchange>;

/** A request waiting for its turn, and how to answer it. */
export interface Waiter {
  request: AdmissionRequest;
  dispatch: Dispatch;
  enqueuedAt: number;
  /**
   * The engine its session or prefix prefers (null: none; unset: not asked yet), and since when it
   * has been held for that engine while another had room (see AdmissionController.eligible).
   */
  affinity?: { engineId: string; since?: number } | null;
  item?: QueuedItem<Waiter>;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
  resolve(result: { exchange: UpstreamExchange; queuedMs: number }): void;
  reject(err: unknown): void;
}

const RATE_SAMPLES = 32;
const WAIT_SAMPLES = 512;

/** The waiting requests of one model, and what admission needs to know about the model's recent grants. */
export class ModelQueue {
  readonly waiting = new FairQueue<Waiter>();
  /** A request granted but not yet placed on an engine: nothing else is granted until it is. */
  unplaced: Waiter | undefined;
  pumping = false;
  again = false;
  recheck: NodeJS.Timeout | undefined;
  /** Since start, for /stats. */
  readonly counts = { admitted: 0, admittedAfterWaiting: 0, rejected: new Map<string, number>() };
  /** The last queue waits (ms) of admitted requests, for /stats percentiles. */
  readonly recentWaitsMs: number[] = [];
  private readonly grants: number[] = [];

  constructor(readonly model: string) {}

  noteGrant(now: number, waitedMs: number, queued: boolean): void {
    this.grants.push(now);
    if (this.grants.length > RATE_SAMPLES) this.grants.shift();
    this.counts.admitted++;
    if (queued) this.counts.admittedAfterWaiting++;
    this.recentWaitsMs.push(waitedMs);
    if (this.recentWaitsMs.length > WAIT_SAMPLES) this.recentWaitsMs.shift();
  }

  noteRejected(reason: string): void {
    this.counts.rejected.set(reason, (this.counts.rejected.get(reason) ?? 0) + 1);
  }

  /**
   * How long until the queue has room again, for Retry-After: the interactive requests waiting over
   * the recent admission rate, between 1 s and `capMs`.
   */
  retryAfterMs(now: number, capMs: number): number {
    const n = this.grants.length;
    const span = n >= 2 ? Math.max(now, this.grants[n - 1]!) - this.grants[0]! : 0;
    const perMs = span > 0 ? (n - 1) / span : 0;
    const estimate = perMs > 0 ? this.waiting.sizeOf('interactive') / perMs : capMs;
    return Math.min(Math.max(estimate, 1000), Math.max(capMs, 1000));
  }
}
