import { ProxyError } from '../http/errors.js';
import type { RateLimitReason } from './rate-limiter.js';

/** Retry-After in whole seconds (at least 1), and the exact milliseconds the OpenAI SDKs also read. */
export function retryHeaders(retryAfterMs: number): Record<string, string> {
  const ms = Math.max(0, Math.ceil(retryAfterMs));
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(ms) };
}

const tooMany = (message: string, type: 'requests' | 'tokens', headers: Record<string, string>) =>
  new ProxyError(429, 'rate_limit_exceeded', message, type, null, { headers });

/** 429s and shutdown refusals of admission control, each with its Retry-After. */
export const admissionErrors = {
  queueFull: (model: string, limit: number, retryAfterMs: number) =>
    tooMany(
      limit === 0
        ? `Every engine for model "${model}" is busy and the router queues no requests (--queue-max-size 0). Please retry later.`
        : `The router's queue for model "${model}" is full (${limit} requests waiting). Please retry later.`,
      'requests',
      retryHeaders(retryAfterMs),
    ),
  queueTimeout: (model: string, waitedMs: number, retryAfterMs: number) =>
    tooMany(`The request waited ${(waitedMs / 1000).toFixed(1)} s in the router's queue for model "${model}" without an engine becoming free (--queue-timeout-seconds). Please retry later.`, 'requests', retryHeaders(retryAfterMs)),
  rateLimited: (reason: RateLimitReason, message: string, retryAfterMs: number, rateHeaders: Record<string, string>) =>
    tooMany(message, reason === 'rate_limit_tokens' ? 'tokens' : 'requests', { ...rateHeaders, ...retryHeaders(retryAfterMs) }),
  shuttingDown: () =>
    new ProxyError(503, 'shutting_down', 'The router is shutting down; the request was waiting in its queue and was not sent to an engine.', 'service_unavailable_error'),
};
