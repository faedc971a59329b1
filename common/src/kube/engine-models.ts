export type EngineModelsErrorCode = 'timeout' | 'unreachable' | 'http_status' | 'bad_response';

/** GET /v1/models failed: why, in a stable code, and a message fit for status and logs. */
export class EngineModelsError extends Error {
  constructor(
    readonly code: EngineModelsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineModelsError';
  }
}

export interface FetchModelsOptions {
  timeoutMs: number;
  /** Sent as `Authorization: Bearer` (the reference reads VLLM_API_KEY). */
  apiKey?: string;
}

interface ModelList {
  data?: { id?: unknown }[];
}

/** The models (and LoRA adapters) an OpenAI-compatible engine lists at `<baseUrl>/v1/models`. */
export async function fetchEngineModels(baseUrl: string, options: FetchModelsOptions): Promise<string[]> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/models`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new EngineModelsError('timeout', `GET ${url}: no answer within ${options.timeoutMs} ms`, { cause: err });
    throw new EngineModelsError('unreachable', `GET ${url}: ${e.cause?.code ?? e.message}`, { cause: err });
  }
  let body: ModelList;
  try {
    if (!response.ok) {
      await response.body?.cancel();
      throw new EngineModelsError('http_status', `GET ${url}: HTTP ${response.status}`);
    }
    body = (await response.json()) as ModelList;
  } catch (err) {
    if (err instanceof EngineModelsError) throw err;
    const e = err as Error;
    throw new EngineModelsError(e.name === 'TimeoutError' ? 'timeout' : 'bad_response', `GET ${url}: ${e.message}`, { cause: err });
  }
  if (!Array.isArray(body?.data)) throw new EngineModelsError('bad_response', `GET ${url}: answer has no data array`);
  const ids = body.data.map((m) => m?.id).filter((id): id is string => typeof id === 'string' && id !== '');
  return [...new Set(ids)];
}
