import { randomBytes } from 'node:crypto';
import { ProxyError, errors } from '../http/errors.js';
import type { InternalDispatcher, InternalResponse } from '../http/route.js';
import { sleep } from './deps.js';
import type { Limiter } from './limiter.js';
import type { BatchRequestLine, ErrorLine, OutputLine } from './model.js';

export interface RetryPolicy {
  /** Tries per line, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 15_000 };

/** Worth another try: the engine or the path to it was overloaded or briefly gone. */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

export interface LineContext {
  dispatcher: InternalDispatcher;
  endpoint: string;
  limiter: Limiter;
  retry: RetryPolicy;
  /** How often to look again while the model's engines are busy with interactive traffic. */
  busyPollMs: number;
  /** Aborts waits and the in-flight request (cancel, expiry, shutdown, lease lost). */
  signal: AbortSignal;
  random?: () => number;
}

export type LineResult = { ok: true; result: OutputLine } | { ok: false; result: ErrorLine };

/**
 * Run one batch line through the router. Resolves undefined when aborted: an aborted line has no
 * result, so it is not journaled and runs again on resume.
 */
export async function executeLine(request: BatchRequestLine, ctx: LineContext): Promise<LineResult | undefined> {
  const id = `batch_req_${randomBytes(12).toString('hex')}`;
  const model = request.body.model;
  const fail = (code: string, message: string, response: InternalResponse | undefined): LineResult => ({
    ok: false,
    result: {
      id,
      custom_id: request.custom_id,
      response: response ? { status_code: response.status, request_id: id, body: response.body } : null,
      error: { code, message },
    },
  });

  // Background work waits while interactive traffic keeps the model's engines busy, and while the
  // router knows no models at all (discovery has not produced a table yet, e.g. right after start).
  for (;;) {
    if (ctx.signal.aborted) return undefined;
    if (ctx.dispatcher.knownModels().size > 0 && !ctx.dispatcher.isBusy(model)) break;
    if (!(await sleep(ctx.busyPollMs, ctx.signal))) return undefined;
  }
  if (!ctx.dispatcher.knownModels().has(model)) {
    const e = errors.modelNotFound(model);
    return fail(e.code, e.message, { status: e.status, body: e.toBody() });
  }

  // Batch output is one JSON answer per line; a streamed answer has no place in it.
  const body: Record<string, unknown> = { ...request.body };
  delete body['stream'];
  delete body['stream_options'];

  const random = ctx.random ?? Math.random;
  let response: InternalResponse | undefined;
  let failure: unknown;
  for (let attempt = 1; attempt <= ctx.retry.maxAttempts; attempt++) {
    const release = await ctx.limiter.acquire(ctx.signal);
    if (!release) return undefined;
    if (ctx.signal.aborted) {
      release();
      return undefined;
    }
    try {
      response = await ctx.dispatcher.dispatch({ path: ctx.endpoint, body, requestId: id, signal: ctx.signal });
      failure = undefined;
    } catch (err) {
      if (ctx.signal.aborted) return undefined;
      response = err instanceof ProxyError ? { status: err.status, body: err.toBody() } : undefined;
      failure = err;
    } finally {
      release();
    }
    if (response && response.status >= 200 && response.status < 300) {
      return { ok: true, result: { id, custom_id: request.custom_id, response: { status_code: response.status, request_id: id, body: response.body }, error: null } };
    }
    const transient = response === undefined || TRANSIENT_STATUS.has(response.status);
    if (!transient || attempt === ctx.retry.maxAttempts) break;
    // Full jitter: spreads retries of many lines that failed together.
    const ceiling = Math.min(ctx.retry.maxDelayMs, ctx.retry.baseDelayMs * 2 ** (attempt - 1));
    if (!(await sleep(Math.floor(random() * ceiling), ctx.signal))) return undefined;
  }

  if (response) {
    const detail = engineError(response.body);
    return fail(detail.code ?? `http_${response.status}`, detail.message ?? `The engine answered HTTP ${response.status}.`, response);
  }
  const reason = failure instanceof Error ? failure.message : String(failure);
  return fail('engine_unreachable', `No engine answered after ${ctx.retry.maxAttempts} attempts: ${reason}`, undefined);
}

/** The OpenAI error fields of an engine's answer, when it has them. */
function engineError(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' && body ? { message: body.slice(0, 500) } : {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message, type } = error as { code?: unknown; message?: unknown; type?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : typeof type === 'string' ? { code: type } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}
