/**
 * Per-tenant request and token limits per minute, as token buckets that refill continuously (a full
 * bucket holds one minute's allowance, so a burst of up to a minute's worth is allowed after idling).
 * Tokens are charged at admission with an estimate from the prompt and settled with the engine's
 * reported usage when the answer ends, so a bucket may go into debt that later requests wait out.
 * Buckets are kept for a bounded number of tenants; a full bucket holds no information and is the
 * first to be forgotten.
 */

export interface RateLimits {
  /** Requests per minute per tenant; 0 = no limit. */
  rpm: number;
  /** Tokens (prompt + completion) per minute per tenant; 0 = no limit. */
  tpm: number;
}

export type RateLimitReason = 'rate_limit_requests' | 'rate_limit_tokens';

/** One limit as the x-ratelimit-* headers show it. */
export interface LimitState {
  limit: number;
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
}

export type RateDecision =
  | { ok: true; requests?: LimitState; tokens?: LimitState }
  | { ok: false; reason: RateLimitReason; retryAfterMs: number; message: string; requests?: LimitState; tokens?: LimitState };

class Bucket {
  level: number;
  private at: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
  }

  refill(now: number): void {
    if (now > this.at) this.level = Math.min(this.capacity, this.level + ((now - this.at) * this.capacity) / 60_000);
    this.at = now;
  }

  /** Milliseconds until the level reaches `amount` (0 if it already has). */
  msUntil(amount: number): number {
    return this.level >= amount ? 0 : ((amount - this.level) * 60_000) / this.capacity;
  }

  state(): LimitState {
    return { limit: this.capacity, remaining: Math.max(0, Math.floor(this.level)), resetMs: Math.ceil(this.msUntil(this.capacity)) };
  }

  get full(): boolean {
    return this.level >= this.capacity;
  }
}

interface TenantBuckets {
  requests?: Bucket;
  tokens?: Bucket;
}

export const MAX_TRACKED_TENANTS = 10_000;

export class RateLimiter {
  /** Insertion order = least recently used first. */
  private readonly tenants = new Map<string, TenantBuckets>();

  constructor(
    readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
    private readonly maxTenants = MAX_TRACKED_TENANTS,
  ) {}

  get enabled(): boolean {
    return this.limits.rpm > 0 || this.limits.tpm > 0;
  }

  /** Charge one request and `tokens` (estimated) to the tenant, or say why not and when to retry. */
  take(tenant: string, tokens: number): RateDecision {
    const b = this.buckets(tenant);
    const states = () => ({ ...(b.requests ? { requests: b.requests.state() } : {}), ...(b.tokens ? { tokens: b.tokens.state() } : {}) });
    if (b.requests && b.requests.level < 1) {
      const retryAfterMs = b.requests.msUntil(1);
      return { ok: false, reason: 'rate_limit_requests', retryAfterMs, message: `Rate limit reached for tenant ${tenant} on requests per min (RPM): limit ${this.limits.rpm}. Please try again in ${formatDuration(retryAfterMs)}.`, ...states() };
    }
    if (b.tokens) {
      if (tokens > b.tokens.capacity)
        return { ok: false, reason: 'rate_limit_tokens', retryAfterMs: 60_000, message: `Request too large for tenant ${tenant} on tokens per min (TPM): limit ${this.limits.tpm}, requested about ${tokens}.`, ...states() };
      if (b.tokens.level < tokens) {
        const retryAfterMs = b.tokens.msUntil(tokens);
        return { ok: false, reason: 'rate_limit_tokens', retryAfterMs, message: `Rate limit reached for tenant ${tenant} on tokens per min (TPM): limit ${this.limits.tpm}, requested about ${tokens}. Please try again in ${formatDuration(retryAfterMs)}.`, ...states() };
      }
    }
    if (b.requests) b.requests.level -= 1;
    if (b.tokens) b.tokens.level -= tokens;
    return { ok: true, ...states() };
  }

  /** Give back what `take` charged, for a request that was never sent to an engine. */
  refund(tenant: string, tokens: number): void {
    const b = this.tenants.get(tenant);
    if (!b) return;
    this.refillAll(b);
    if (b.requests) b.requests.level = Math.min(b.requests.capacity, b.requests.level + 1);
    if (b.tokens) b.tokens.level = Math.min(b.tokens.capacity, b.tokens.level + tokens);
  }

  /** The answer reported its usage: charge the difference from the estimate (negative gives back). */
  settle(tenant: string, estimated: number, actual: number): void {
    const bucket = this.tenants.get(tenant)?.tokens;
    if (!bucket || actual === estimated) return;
    bucket.refill(this.now());
    bucket.level = Math.min(bucket.capacity, bucket.level - (actual - estimated));
  }

  private buckets(tenant: string): TenantBuckets {
    let b = this.tenants.get(tenant);
    if (b) {
      this.tenants.delete(tenant);
      this.tenants.set(tenant, b);
      this.refillAll(b);
      return b;
    }
    if (this.tenants.size >= this.maxTenants) this.forgetOne();
    const now = this.now();
    b = {
      ...(this.limits.rpm > 0 ? { requests: new Bucket(this.limits.rpm, now) } : {}),
      ...(this.limits.tpm > 0 ? { tokens: new Bucket(this.limits.tpm, now) } : {}),
    };
    this.tenants.set(tenant, b);
    return b;
  }

  private refillAll(b: TenantBuckets): void {
    const now = this.now();
    b.requests?.refill(now);
    b.tokens?.refill(now);
  }

  /** Forget a tenant whose buckets are full (nothing lost), else the least recently seen one. */
  private forgetOne(): void {
    let scanned = 0;
    for (const [tenant, b] of this.tenants) {
      this.refillAll(b);
      if ((b.requests?.full ?? true) && (b.tokens?.full ?? true)) {
        this.tenants.delete(tenant);
        return;
      }
      if (++scanned >= 64) break;
    }
    const oldest = this.tenants.keys().next();
    if (!oldest.done) this.tenants.delete(oldest.value);
  }
}

/** OpenAI-style durations for x-ratelimit-reset-*: `250ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms));
  if (rounded < 1000) return `${rounded}ms`;
  if (rounded < 60_000) return `${Number((rounded / 1000).toFixed(3))}s`;
  const minutes = Math.floor(rounded / 60_000);
  return `${minutes}m${Math.round((rounded - minutes * 60_000) / 1000)}s`;
}

/** The x-ratelimit-* response headers for the limits in force. */
export function rateLimitHeaders(d: { requests?: LimitState; tokens?: LimitState }): Record<string, string> {
  const out: Record<string, string> = {};
  if (d.requests) {
    out['x-ratelimit-limit-requests'] = String(d.requests.limit);
    out['x-ratelimit-remaining-requests'] = String(d.requests.remaining);
    out['x-ratelimit-reset-requests'] = formatDuration(d.requests.resetMs);
  }
  if (d.tokens) {
    out['x-ratelimit-limit-tokens'] = String(d.tokens.limit);
    out['x-ratelimit-remaining-tokens'] = String(d.tokens.remaining);
    out['x-ratelimit-reset-tokens'] = formatDuration(d.tokens.resetMs);
  }
  return out;
}
