import { describe, expect, it } from '@jest/globals';
import { RateLimiter, formatDuration, rateLimitHeaders } from './rate-limiter.js';

function clock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('RateLimiter', () => {
  it('allows rpm requests per tenant per minute, then says when the next one may go', () => {
    const c = clock();
    const limiter = new RateLimiter({ rpm: 60, tpm: 0 }, c.now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a', 0).ok).toBe(true);
    const refused = limiter.take('a', 0);
    expect(refused).toMatchObject({ ok: false, reason: 'rate_limit_requests', requests: { limit: 60, remaining: 0 } });
    expect(!refused.ok && refused.retryAfterMs).toBeCloseTo(1000, 0);
    expect(limiter.take('b', 0).ok).toBe(true); // other tenants have their own bucket
    c.t += 1000;
    expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.take('a', 0).ok).toBe(false);
  });

  it('charges estimated tokens, settles them with the reported usage, and can run into debt', () => {
    const c = clock();
    const limiter = new RateLimiter({ rpm: 0, tpm: 1000 }, c.now);
    expect(limiter.take('a', 400)).toMatchObject({ ok: true, tokens: { remaining: 600 } });
    limiter.settle('a', 400, 1500); // the answer was long: 1100 more
    const refused = limiter.take('a', 10);
    expect(refused).toMatchObject({ ok: false, reason: 'rate_limit_tokens' });
    // 510 tokens short at 1000/min: about 30.6 s.
    expect(!refused.ok && refused.retryAfterMs).toBeCloseTo(30_600, -2);
    c.t += 31_000;
    expect(limiter.take('a', 10).ok).toBe(true);
  });

  it('refuses a request larger than a whole minute of tokens with its own message', () => {
    const limiter = new RateLimiter({ rpm: 0, tpm: 100 }, () => 0);
    expect(limiter.take('a', 101)).toMatchObject({ ok: false, reason: 'rate_limit_tokens', message: expect.stringContaining('Request too large') });
  });

  it('gives back what a request that never reached an engine was charged', () => {
    const limiter = new RateLimiter({ rpm: 1, tpm: 100 }, () => 0);
    expect(limiter.take('a', 50).ok).toBe(true);
    expect(limiter.take('a', 50).ok).toBe(false);
    limiter.refund('a', 50);
    expect(limiter.take('a', 100)).toMatchObject({ ok: true, requests: { remaining: 0 }, tokens: { remaining: 0 } });
  });

  it('keeps buckets for a bounded number of tenants, forgetting full ones first', () => {
    const limiter = new RateLimiter({ rpm: 10, tpm: 0 }, () => 0, 3);
    limiter.take('busy', 0);
    limiter.take('x', 0);
    limiter.take('y', 0);
    limiter.take('z', 0); // forgets the least recently seen: 'busy'
    for (let i = 0; i < 10; i++) limiter.take('z', 0);
    expect(limiter.take('z', 0).ok).toBe(false);
    limiter.take('w', 0);
    expect(limiter.take('z', 0).ok).toBe(false); // z kept its (empty) bucket
  });

  it('formats durations and headers the way OpenAI does', () => {
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
    const limiter = new RateLimiter({ rpm: 600, tpm: 10_000 }, () => 0);
    const d = limiter.take('a', 100);
    expect(rateLimitHeaders(d)).toEqual({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '599',
      'x-ratelimit-reset-requests': '100ms',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '9900',
      'x-ratelimit-reset-tokens': '600ms',
    });
  });
});
