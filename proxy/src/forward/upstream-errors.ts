/** How a failure talking to an engine is handled. */
export type UpstreamFailure =
  /** Nothing reached the engine's application (or it reset before answering): another engine may try. */
  | { kind: 'connect'; code: string; timeout: boolean }
  /** The engine took the request but sent no first byte in time: 504, never retried (not idempotent). */
  | { kind: 'first-byte-timeout'; code: string }
  /** The client went away; nothing to answer. */
  | { kind: 'aborted'; code: string }
  | { kind: 'other'; code: string };

const CONNECT_PHASE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function codeOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'UNKNOWN';
  const e = err as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (e.cause) return codeOf(e.cause);
  return typeof e.name === 'string' ? e.name : 'UNKNOWN';
}

/** Classify an error raised before the engine's response headers arrived. */
export function classifyUpstreamError(err: unknown, clientAborted: boolean): UpstreamFailure {
  const code = codeOf(err);
  if (clientAborted || code === 'UND_ERR_ABORTED' || code === 'AbortError' || code === 'ABORT_ERR') return { kind: 'aborted', code };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'connect', code, timeout: true };
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'first-byte-timeout', code };
  if (CONNECT_PHASE.has(code)) return { kind: 'connect', code, timeout: false };
  return { kind: 'other', code };
}
