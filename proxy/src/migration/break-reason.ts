/**
 * How an engine's answer broke off (a metric label, bounded):
 * - `connection_lost`: the connection was reset or closed mid-answer;
 * - `incomplete`: the engine ended its response cleanly but before the final chunk;
 * - `error_event`: the engine sent an error event in the stream (vLLM does when generation fails);
 * - `timeout`: no first byte, or no next chunk, within --first-byte-timeout-ms;
 * - `drain`: the engine left the routing table and the drain grace period ran out.
 */
export type BreakReason = 'connection_lost' | 'incomplete' | 'error_event' | 'timeout' | 'drain';

const TIMEOUT_CODES = new Set(['UND_ERR_BODY_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Classify an error raised while an engine's answer was being read. */
export function breakReasonOf(err: unknown): BreakReason {
  return TIMEOUT_CODES.has(codeOf(err)) ? 'timeout' : 'connection_lost';
}

function codeOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const e = err as { code?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  return e.cause ? codeOf(e.cause) : '';
}
