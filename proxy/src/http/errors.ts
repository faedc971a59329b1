import type { ServerResponse } from 'node:http';

/**
 * Every error the proxy returns has the OpenAI shape {"error":{"message","type","param","code"}}.
 * A stable `code` per failure doubles as a metric label.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'server_error'
  | 'not_implemented_error'
  | 'service_unavailable_error'
  | 'timeout_error'
  /** OpenAI's types for 429 `rate_limit_exceeded`: a request-count limit, or a token limit. */
  | 'requests'
  | 'tokens';

export interface OpenAIErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string };
}

export class ProxyError extends Error {
  /** Response headers that go with the error (Retry-After, x-ratelimit-*). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: ErrorType = defaultType(status),
    readonly param: string | null = null,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'ProxyError';
    this.headers = options?.headers;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function defaultType(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 501) return 'not_implemented_error';
  if (status === 503) return 'service_unavailable_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Named constructors, so each failure has one place that decides its status and code. */
export const errors = {
  badJson: (detail: string) => new ProxyError(400, 'invalid_json', `Request body is not valid JSON: ${detail}`),
  badRequest: (message: string, param: string | null = null, code = 'invalid_request') =>
    new ProxyError(400, code, message, 'invalid_request_error', param),
  missingModel: () => new ProxyError(400, 'model_required', 'The request body must name a "model".', 'invalid_request_error', 'model'),
  unauthorized: () => new ProxyError(401, 'invalid_api_key', 'Missing or invalid API key. Send "Authorization: Bearer <key>".'),
  notFound: (what: string, code = 'not_found') => new ProxyError(404, code, what),
  modelNotFound: (model: string) =>
    new ProxyError(404, 'model_not_found', `The model "${model}" does not exist or is not served by any engine.`, 'not_found_error', 'model'),
  methodNotAllowed: (method: string, path: string) => new ProxyError(405, 'method_not_allowed', `${method} is not allowed on ${path}.`),
  requestTimeout: (message: string) => new ProxyError(408, 'request_timeout', message, 'invalid_request_error'),
  tooLarge: (limit: number) =>
    new ProxyError(413, 'request_too_large', `Request body exceeds the limit of ${limit} bytes.`, 'invalid_request_error'),
  notImplemented: (message: string) => new ProxyError(501, 'unsupported_by_backend', message, 'not_implemented_error'),
  badGateway: (message: string, cause?: unknown) =>
    new ProxyError(502, 'upstream_error', message, 'server_error', null, { cause }),
  noRoom: (model: string) =>
    new ProxyError(429, 'rate_limit_exceeded', `Every engine for model "${model}" is at its admission limit.`, 'requests', 'model', { headers: { 'retry-after': '1' } }),
  noEngine: (model: string) =>
    new ProxyError(503, 'no_available_engine', `No engine is available for model "${model}" right now.`, 'service_unavailable_error', 'model'),
  clientClosed: (cause?: unknown) =>
    new ProxyError(499, 'client_closed_request', 'Client closed the request.', 'invalid_request_error', null, cause === undefined ? undefined : { cause }),
  shuttingDown: () => new ProxyError(503, 'shutting_down', 'The router is shutting down.', 'service_unavailable_error'),
  gatewayTimeout: (message: string, cause?: unknown) =>
    new ProxyError(504, 'upstream_timeout', message, 'timeout_error', null, { cause }),
  internal: (message: string, cause?: unknown) => new ProxyError(500, 'internal_error', message, 'server_error', null, { cause }),
};

/** Anything thrown becomes a ProxyError; unknown errors are 500s that never leak internals. */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return errors.internal('Internal router error.', err);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Send the error if the response has not started; otherwise end it (the client sees a cut stream). */
export function sendError(res: ServerResponse, err: unknown): ProxyError {
  const e = toProxyError(err);
  if (!res.headersSent) sendJson(res, e.status, e.toBody(), e.headers);
  else if (!res.writableEnded) res.destroy(e);
  return e;
}
