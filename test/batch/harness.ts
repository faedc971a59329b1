import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { BatchService, batchRoutes, type BatchServiceOptions, type Logger } from '../../proxy/src/batches/index.js';
import { LocalFileStorage, fileRoutes } from '../../proxy/src/files/index.js';
import { errors, sendError } from '../../proxy/src/http/errors.js';
import type { InternalDispatcher, InternalRequest, InternalResponse, Route } from '../../proxy/src/http/route.js';

/**
 * Stand-ins for the lead's server while it is being written: a tiny router mounting Route[] the
 * way the real one will (method + exact path or `/*` prefix), and a dispatcher that forwards to
 * engines over real HTTP.
 */

export interface RouterServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startRouter(routes: Route[], host = '127.0.0.1', port = 0): Promise<RouterServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const id = String(req.headers['x-request-id'] ?? randomUUID());
    const matches = routes.filter((r) => (r.path.endsWith('/*') ? url.pathname.startsWith(r.path.slice(0, -1)) : url.pathname === r.path));
    const route = matches.find((r) => r.method === req.method);
    res.setHeader('x-request-id', id);
    if (!route) {
      req.resume();
      sendError(res, matches.length > 0 ? errors.methodNotAllowed(req.method ?? '?', url.pathname) : errors.notFound(`Unknown path ${url.pathname}`));
      return;
    }
    route.handler(req, res, { id, url, startedAt: performance.now(), notes: {} }).catch((err: unknown) => {
      req.resume();
      sendError(res, err);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface EngineRef {
  url: string;
  models: string[];
}

/** Round-robin over the engines serving the model, over HTTP; `busy` marks models as saturated. */
export class HttpDispatcher implements InternalDispatcher {
  readonly busy = new Set<string>();
  readonly dispatched: string[] = [];
  private next = 0;

  constructor(private readonly engines: EngineRef[]) {}

  async dispatch(request: InternalRequest): Promise<InternalResponse> {
    const model = String(request.body['model']);
    const candidates = this.engines.filter((e) => e.models.includes(model));
    if (candidates.length === 0) throw errors.modelNotFound(model);
    const engine = candidates[this.next++ % candidates.length]!;
    this.dispatched.push(request.requestId);
    const res = await fetch(`${engine.url}${request.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': request.requestId },
      body: JSON.stringify(request.body),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  }

  isBusy(model: string): boolean {
    return this.busy.has(model);
  }

  knownModels(): Set<string> {
    return new Set(this.engines.flatMap((e) => e.models));
  }
}

export interface StackOptions {
  root: string;
  engines: EngineRef[];
  maxFileBytes?: number;
  port?: number;
  /** Anything of BatchServiceOptions to override; test-friendly timings are the defaults here. */
  service?: Partial<Omit<BatchServiceOptions, 'root' | 'storage' | 'dispatcher'>>;
  /** Start the background runner (off: a read-only replica). */
  run?: boolean;
}

export interface Stack {
  url: string;
  service: BatchService;
  storage: LocalFileStorage;
  dispatcher: HttpDispatcher;
  close(): Promise<void>;
}

/** Files + batches routes over LocalFileStorage, a BatchService, and the tiny router, on loopback. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const storage = new LocalFileStorage({ root: options.root });
  const dispatcher = new HttpDispatcher(options.engines);
  const service = new BatchService({
    root: options.root,
    storage,
    dispatcher,
    concurrency: 8,
    leaseTtlMs: 1_000,
    pollMs: 50,
    tickMs: 25,
    busyPollMs: 10,
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 40 },
    ...options.service,
  });
  const router = await startRouter([...fileRoutes({ storage, maxFileBytes: options.maxFileBytes ?? 8 * 1024 * 1024 }), ...batchRoutes({ service })], '127.0.0.1', options.port);
  if (options.run !== false) await service.start();
  return {
    url: router.url,
    service,
    storage,
    dispatcher,
    close: async () => {
      await service.stop();
      await router.close();
    },
  };
}

/** Logger that prints one JSON object per line (the child process's stdout protocol). */
export const jsonLineLogger = (write: (line: string) => void): Logger => {
  const log = (level: string) => (msg: string, meta?: Record<string, unknown>) => write(`${JSON.stringify({ level, msg, ...meta })}\n`);
  return { info: log('info'), warn: log('warn'), error: log('error') };
};
