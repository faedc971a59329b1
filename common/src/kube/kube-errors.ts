/** Stable codes for failed Kubernetes API calls; they become log fields and metric labels. */
export type KubeErrorCode =
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'gone'
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'too_many_requests'
  | 'server_error'
  | 'api_error'
  | 'network'
  | 'timeout'
  | 'bad_response';

/** A Kubernetes API call that failed: HTTP status (0 when no answer came), the Status reason and message. */
export class KubeApiError extends Error {
  readonly code: KubeErrorCode;

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown; code?: KubeErrorCode },
  ) {
    super(message, options);
    this.name = 'KubeApiError';
    this.code = options?.code ?? codeOf(status, reason);
  }
}

function codeOf(status: number, reason: string): KubeErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return reason === 'AlreadyExists' ? 'already_exists' : 'conflict';
    case 410:
      return 'gone';
    case 422:
      return 'invalid';
    case 429:
      return 'too_many_requests';
    default:
      return status >= 500 ? 'server_error' : 'api_error';
  }
}

export const isKubeError = (err: unknown, code: KubeErrorCode): err is KubeApiError => err instanceof KubeApiError && err.code === code;
