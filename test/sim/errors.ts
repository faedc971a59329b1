import type { ServerResponse } from 'node:http';

/**
 * Errors as vLLM (0.32) sends them: {"error":{"message","type","param","code"}} with the exception's
 * class name as `type` and the HTTP status as a number in `code`; FastAPI's {"detail": ...} for an
 * unknown path or a wrong method. `code` here is the sim's own stable name (stats, logs).
 */
export type SimErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error' | 'service_unavailable_error';

/** vLLM's error `type` for each kind. */
const VLLM_TYPES: Record<SimErrorType, string> = {
  invalid_request_error: 'BadRequestError',
  not_found_error: 'NotFoundError',
  server_error: 'InternalServerError',
  service_unavailable_error: 'ServiceUnavailableError',
};

export type OpenAIErrorBody = { error: { message: string; type: string; param: string | null; code: number } } | { detail: string };

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: SimErrorType,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'SimError';
  }

  toBody(): OpenAIErrorBody {
    if (this.code === 'not_found') return { detail: 'Not Found' };
    if (this.code === 'method_not_allowed') return { detail: 'Method Not Allowed' };
    return { error: { message: this.message, type: VLLM_TYPES[this.type], param: this.param, code: this.status } };
  }
}

export const simErrors = {
  badJson: (detail: string) => new SimError(400, 'invalid_json', `Request body is not valid JSON: ${detail}`, 'invalid_request_error'),
  badRequest: (message: string, param: string | null = null) =>
    new SimError(400, 'invalid_request', message, 'invalid_request_error', param),
  modelNotFound: (model: string) =>
    new SimError(404, 'model_not_found', `The model "${model}" does not exist.`, 'not_found_error', 'model'),
  notFound: (path: string) => new SimError(404, 'not_found', `No route for ${path}.`, 'not_found_error'),
  methodNotAllowed: (method: string, path: string) =>
    new SimError(405, 'method_not_allowed', `${method} is not allowed on ${path}.`, 'invalid_request_error'),
  tooLarge: (limit: number) =>
    new SimError(413, 'request_too_large', `Request body exceeds ${limit} bytes.`, 'invalid_request_error'),
  injected: () => new SimError(500, 'injected_error', 'Injected failure (vllm-engine-sim errorRate).', 'server_error'),
  unhealthy: () => new SimError(503, 'unhealthy', 'Engine is marked unhealthy.', 'service_unavailable_error'),
  internal: (message: string) => new SimError(500, 'internal_error', message, 'server_error'),
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Send the error if the response has not started; otherwise cut it (the client sees a broken stream). */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof SimError ? err : simErrors.internal(err instanceof Error ? err.message : String(err));
  if (!res.headersSent) sendJson(res, e.status, e.toBody());
  else if (!res.writableEnded) res.destroy();
}
