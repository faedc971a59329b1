import { access, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExclusive, writeJsonAtomic } from '../files/atomic.js';

/** The content of `lease-<token>.json`. */
export interface LeaseRecord {
  owner: string;
  token: number;
  /** Epoch ms. */
  expiresAt: number;
  released?: boolean;
}

export interface LeaseOptions {
  /** Unique per process, so two replicas (or a restarted one) never mistake each other's lease. */
  owner: string;
  ttlMs: number;
  /** Wall-clock ms shared by replicas (not a test clock that jumps: that would expire leases). */
  now?: () => number;
}

export class LeaseLostError extends Error {
  constructor(readonly token: number) {
    super(`lease with fencing token ${token} is no longer held`);
    this.name = 'LeaseLostError';
  }
}

const LEASE_FILE = /^lease-(\d+)\.json$/;
const leaseFile = (token: number) => `lease-${token}.json`;

/**
 * A lease on one directory's work, with a fencing token. Each takeover creates `lease-<token+1>.json`
 * with link(2), which fails if the name exists, so exactly one contender wins each token. Tokens are
 * never reused, so a holder knows it was superseded exactly when `lease-<token+1>.json` exists.
 */
export class Lease {
  private lost = false;

  constructor(
    readonly dir: string,
    readonly owner: string,
    readonly token: number,
    private expiresAtMs: number,
    private readonly options: Required<LeaseOptions>,
  ) {}

  get expiresAt(): number {
    return this.expiresAtMs;
  }

  /** Held by the local clock, with a margin for clock skew between replicas and slow writes. */
  isHeld(): boolean {
    return !this.lost && this.options.now() < this.expiresAtMs - this.margin();
  }

  /** isHeld, plus a look at storage for a successor. */
  async check(): Promise<boolean> {
    if (!this.isHeld()) return false;
    try {
      await access(join(this.dir, leaseFile(this.token + 1)));
      this.lost = true;
    } catch {
      // no successor: still ours
    }
    return !this.lost;
  }

  /** Guard a write: throws LeaseLostError when another runner may have taken over. */
  async assertHeld(): Promise<void> {
    if (!(await this.check())) throw new LeaseLostError(this.token);
  }

  /** Extend the lease; false (and lost for good) when it had already lapsed or was taken over. */
  async renew(): Promise<boolean> {
    // Renewing a lapsed lease could race a contender that already saw it expired, so never do it.
    if (!this.isHeld()) {
      this.lost = true;
      return false;
    }
    const expiresAt = this.options.now() + this.options.ttlMs;
    await writeJsonAtomic(join(this.dir, leaseFile(this.token)), this.record(expiresAt));
    this.expiresAtMs = expiresAt;
    return this.check();
  }

  /** Let another runner take over at once (graceful stop or batch done). */
  async release(): Promise<void> {
    if (!(await this.check())) return;
    this.lost = true;
    await writeJsonAtomic(join(this.dir, leaseFile(this.token)), { ...this.record(0), released: true });
  }

  private record(expiresAt: number): LeaseRecord {
    return { owner: this.owner, token: this.token, expiresAt };
  }

  private margin(): number {
    return Math.min(this.options.ttlMs / 4, 5_000);
  }
}

/** The newest lease record in `dir`, if any. */
export async function readLease(dir: string): Promise<LeaseRecord | undefined> {
  const token = await latestToken(dir);
  if (token === 0) return undefined;
  return readRecord(dir, token);
}

/** Take the lease if it is free, released or expired; undefined when someone else holds it or won the race. */
export async function tryAcquireLease(dir: string, options: LeaseOptions): Promise<Lease | undefined> {
  const opts: Required<LeaseOptions> = { now: Date.now, ...options };
  await mkdir(dir, { recursive: true });
  const current = await latestToken(dir);
  if (current > 0) {
    const record = await readRecord(dir, current);
    if (record && !record.released && opts.now() < record.expiresAt) return undefined;
  }
  const token = current + 1;
  const expiresAt = opts.now() + opts.ttlMs;
  const record: LeaseRecord = { owner: opts.owner, token, expiresAt };
  // Exactly one contender can publish this token; the others back off until it lapses.
  if (!(await createExclusive(join(dir, leaseFile(token)), `${JSON.stringify(record)}\n`))) return undefined;
  return new Lease(dir, opts.owner, token, expiresAt, opts);
}

async function latestToken(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let max = 0;
  for (const name of names) {
    const m = LEASE_FILE.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

/** A record that cannot be read counts as expired: links and renames publish whole files, so it is damage, not a write in progress. */
async function readRecord(dir: string, token: number): Promise<LeaseRecord | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(dir, leaseFile(token)), 'utf8')) as Partial<LeaseRecord>;
    if (typeof raw.owner !== 'string' || typeof raw.expiresAt !== 'number') return undefined;
    return { owner: raw.owner, token, expiresAt: raw.expiresAt, ...(raw.released ? { released: true } : {}) };
  } catch {
    return undefined;
  }
}
