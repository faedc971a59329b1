import { ProxyError } from '../http/errors.js';
import type { MigrationOutcome } from './migration-metrics.js';

/** How to read an engine's answer head, and what a failed send means for a migration. */

export function isEventStream(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.includes('text/event-stream');
}

export function isJson(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.includes('json');
}

/** The engine took the request but sent no response head in time (core.send's 504 for it). */
export function isFirstByteTimeout(err: unknown): boolean {
  if (!(err instanceof ProxyError) || err.code !== 'upstream_timeout') return false;
  const cause = err.cause as { code?: unknown } | undefined;
  return cause?.code === 'UND_ERR_HEADERS_TIMEOUT';
}

/** How a failed send ends the migration under way. */
export function outcomeOfSendError(err: unknown, signal: AbortSignal): MigrationOutcome {
  if (signal.aborted) return 'client_closed';
  if (err instanceof ProxyError && err.status === 503) return 'no_engine';
  return 'failed';
}

