import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal OpenAI-compatible engine for batch tests: JSON answers for chat, completions and
 * embeddings that echo the prompt (so a test can tell which request an answer belongs to), with
 * optional latency and injected transient failures. Not the full simulator (test/sim/).
 */
export interface FakeEngineOptions {
  models: string[];
  /** Delay before each answer. */
  latencyMs?: number;
  /** Answer every n-th request with `failStatus` (a transient failure the runner should retry). */
  failEvery?: number;
  failStatus?: number;
}

export interface FakeEngine {
  url: string;
  models: string[];
  /** Requests answered or failed, by X-Request-Id. */
  readonly seen: Map<string, number>;
  readonly stats: { requests: number; failed: number; aborted: number };
  options: FakeEngineOptions;
  close(): Promise<void>;
}

export async function startFakeEngine(options: FakeEngineOptions): Promise<FakeEngine> {
  const seen = new Map<string, number>();
  const stats = { requests: 0, failed: 0, aborted: 0 };
  const engine: Omit<FakeEngine, 'url' | 'close'> = { models: options.models, seen, stats, options };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const n = ++stats.requests;
    const requestId = String(req.headers['x-request-id'] ?? `anon-${n}`);
    seen.set(requestId, (seen.get(requestId) ?? 0) + 1);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const opts = engine.options;

    if (opts.latencyMs) {
      const gone = await waitOrClose(req, opts.latencyMs);
      if (gone) {
        stats.aborted++;
        return;
      }
    }
    if (opts.failEvery && n % opts.failEvery === 0) {
      stats.failed++;
      return json(res, opts.failStatus ?? 503, { error: { message: 'engine overloaded', type: 'server_error', param: null, code: 'overloaded' } });
    }
    const model = String(body['model']);
    if (!opts.models.includes(model)) {
      return json(res, 404, { error: { message: `model ${model} not served`, type: 'not_found_error', param: 'model', code: 'model_not_found' } });
    }
    if (typeof body['max_tokens'] === 'number' && body['max_tokens'] > 100_000) {
      return json(res, 400, {
        error: { message: 'max_tokens exceeds the context length', type: 'invalid_request_error', param: 'max_tokens', code: 'context_length_exceeded' },
      });
    }
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
    switch (req.url) {
      case '/v1/chat/completions': {
        const messages = (body['messages'] ?? []) as Array<{ content?: unknown }>;
        const content = `echo: ${String(messages.at(-1)?.content ?? '')}`;
        return json(res, 200, {
          id: `chatcmpl-${n}`,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        });
      }
      case '/v1/completions':
        return json(res, 200, {
          id: `cmpl-${n}`,
          object: 'text_completion',
          created,
          model,
          choices: [{ index: 0, text: `echo: ${String(body['prompt'] ?? '')}`, finish_reason: 'stop' }],
          usage,
        });
      case '/v1/embeddings':
        return json(res, 200, { object: 'list', model, data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], usage });
      default:
        return json(res, 404, { error: { message: `no route ${req.url}`, type: 'not_found_error', param: null, code: 'not_found' } });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(engine, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Wait `ms`, or resolve true early if the client goes away (a cancelled batch line). */
function waitOrClose(req: IncomingMessage, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve(false);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    req.socket.once('close', onClose);
  });
}
