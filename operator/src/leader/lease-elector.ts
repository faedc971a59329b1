import type { V1Lease } from '@kubernetes/client-node';
import { isKubeError, realSleep, type KubeClient, type Sleep } from '@vllm-router/common';
import { collectionPath } from '../kube/paths.js';

export interface LeaseElectorOptions {
  namespace: string;
  name: string;
  /** This replica's identity (pod name, or host plus pid). */
  identity: string;
  /** How long a lease holds without renewal before others may take it (default 15 s). */
  leaseDurationMs?: number;
  /** A leader that cannot renew for this long steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  onError?: (err: unknown) => void;
  now?: () => number;
  sleep?: Sleep;
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: take the lease when it
 * is free or its holder stopped renewing (judged by our own clock since we last saw it change,
 * so clocks need not agree), renew it every retry period, step down when renewal keeps failing,
 * and hand it over at once on stop by clearing the holder. Writes use the resourceVersion, so
 * two candidates never both win.
 */
export class LeaseElector {
  private readonly abort = new AbortController();
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private observed: { record: string; at: number } | undefined;
  private lastRenew = 0;
  private leading = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaseElectorOptions,
  ) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop campaigning; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (this.leading) {
      await this.release().catch((err: unknown) => this.options.onError?.(err));
      this.setLeading(false);
    }
  }

  private get path(): string {
    return `${collectionPath('coordination.k8s.io/v1', 'Lease', this.options.namespace)}/${encodeURIComponent(this.options.name)}`;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let won = false;
      try {
        won = await this.tryAcquireOrRenew();
      } catch (err) {
        this.options.onError?.(err);
      }
      if (signal.aborted) break;
      if (won) {
        this.lastRenew = this.now();
        this.setLeading(true);
      } else if (this.leading && this.now() - this.lastRenew > this.renewDeadlineMs) {
        this.setLeading(false);
      }
      await this.sleep(this.retryPeriodMs, signal);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.options.onStartedLeading?.();
    else this.options.onStoppedLeading?.();
  }

  /** One attempt; true when we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const me = this.options.identity;
    let lease: V1Lease;
    try {
      lease = await this.client.request<V1Lease>({ path: this.path, timeoutMs: this.renewDeadlineMs });
    } catch (err) {
      if (!isKubeError(err, 'not_found')) throw err;
      return this.create(now);
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = `${holder}|${String(spec.renewTime ?? '')}|${spec.leaseDurationSeconds ?? ''}`;
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const expired = this.observed.at + durationMs <= now;
    if (holder && holder !== me && !expired) return false;

    const taking = holder !== me;
    const next = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: me,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: microTime(now),
        ...(taking ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + (holder ? 1 : 0) } : {}),
      },
    };
    try {
      await this.client.request({ method: 'PUT', path: this.path, body: next, timeoutMs: this.renewDeadlineMs });
    } catch (err) {
      if (isKubeError(err, 'conflict')) return false; // someone else wrote first
      throw err;
    }
    return true;
  }

  private async create(now: number): Promise<boolean> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.options.name, namespace: this.options.namespace },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      await this.client.request({ method: 'POST', path: collectionPath('coordination.k8s.io/v1', 'Lease', this.options.namespace), body });
      return true;
    } catch (err) {
      if (isKubeError(err, 'already_exists') || isKubeError(err, 'conflict')) return false;
      throw err;
    }
  }

  /** Clear the holder and shorten the lease, so the next candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    const lease = await this.client.request<V1Lease>({ path: this.path, timeoutMs: 5000 });
    if (lease.spec?.holderIdentity !== this.options.identity) return;
    const now = this.now();
    await this.client.request({
      method: 'PUT',
      path: this.path,
      timeoutMs: 5000,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(now) } },
    });
  }
}
