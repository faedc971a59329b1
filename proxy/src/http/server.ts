import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LogFormat } from '../config/options.js';
import { createAccessLogger, type AccessLogger } from '../logging/access-log.js';
import type { Logger } from '@vllm-router/common';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { ApiKeyAuth } from './auth.js';
import { ClientGuard, DEFAULT_CLIENT_LIMITS, serverOptionsFor, type ClientLimits } from './client-guard.js';
import { errors, sendError } from './errors.js';
import { requestIdOf } from './request-id.js';
import type { RequestContext, Route, RouteHandler } from './route.js';

export interface HttpServerOptions {
  routes: readonly Route[];
  apiKeys: readonly string[];
  /** A path prefix the router is mounted under (reference: --root-path); stripped before routing. */
  rootPath: string;
  logger: Logger;
  metrics: ProxyMetrics;
  /** Text or JSON access lines; text by default. */
  logFormat?: LogFormat;
  /** Deadlines and limits per client; DEFAULT_CLIENT_LIMITS for the fields left out. */
  clientLimits?: Partial<ClientLimits>;
}

/** Exact routes by "METHOD path", and prefix routes (`/v1/files/*`) tried in order. */
class RouteTable {
  private readonly exact = new Map<string, RouteHandler>();
  private readonly methodsByPath = new Map<string, string[]>();
  private readonly prefixes: Array<{ method: string; prefix: string; handler: RouteHandler }> = [];

  constructor(routes: readonly Route[]) {
    for (const r of routes) {
      if (r.path.endsWith('/*')) this.prefixes.push({ method: r.method, prefix: r.path.slice(0, -1), handler: r.handler });
      else {
        this.exact.set(`${r.method} ${r.path}`, r.handler);
        this.methodsByPath.set(r.path, [...(this.methodsByPath.get(r.path) ?? []), r.method]);
      }
    }
  }

  find(method: string, path: string): RouteHandler | 'wrong-method' | undefined {
    const hit = this.exact.get(`${method} ${path}`);
    if (hit) return hit;
    for (const p of this.prefixes) if (path.startsWith(p.prefix) && p.method === method) return p.handler;
    if (this.methodsByPath.has(path) || this.prefixes.some((p) => path.startsWith(p.prefix))) return 'wrong-method';
    return undefined;
  }
}

const ORIGIN = 'http://router.local';

/**
 * Request context with the URL split cheaply; the full URL object is parsed only if a handler asks.
 * Never throws: a target that doesn't parse leaves `badTarget` set, which the server answers 400.
 */
class Context implements RequestContext {
  readonly path: string;
  readonly search: string;
  readonly notes: RequestContext['notes'] = {};
  /** The request target was neither origin-form nor a parseable absolute URL. */
  readonly badTarget: boolean = false;
  /** Path and query, appended to a fixed origin when the URL is wanted: `//host` or `//[bad` stay paths. */
  private readonly pathAndQuery: string;
  private parsed: URL | undefined;

  constructor(
    readonly id: string,
    rawUrl: string,
    readonly startedAt: number,
  ) {
    if (rawUrl.startsWith('/')) {
      const q = rawUrl.indexOf('?');
      this.path = q < 0 ? rawUrl : rawUrl.slice(0, q);
      this.search = q < 0 ? '' : rawUrl.slice(q);
      this.pathAndQuery = rawUrl;
      return;
    }
    // Absolute-form (`GET http://host/path`) or odd targets: the URL parser decides, and may refuse.
    const url = URL.parse(rawUrl, ORIGIN);
    if (!url) {
      this.badTarget = true;
      this.path = '';
      this.search = '';
    } else {
      this.parsed = url;
      this.path = url.pathname;
      this.search = url.search;
    }
    this.pathAndQuery = this.path + this.search;
  }

  get url(): URL {
    return (this.parsed ??= new URL(ORIGIN + this.pathAndQuery));
  }
}

/**
 * The request's body never fully arrived and its connection is gone: nobody is left to answer,
 * whatever the handler made of the cut (a read error, a truncated upload).
 */
function clientLeftMidBody(req: IncomingMessage, res: ServerResponse): boolean {
  return !req.complete && (req.destroyed || res.destroyed || req.socket.destroyed);
}

/**
 * The router's HTTP server: request id, auth, routing to handlers, OpenAI-shaped errors, one access
 * log line per request, and a drain that lets in-flight requests and streams finish.
 */
export class HttpServer {
  readonly server: Server;
  private readonly routes: RouteTable;
  private readonly auth: ApiKeyAuth;
  private draining = false;
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private readonly accessLog: AccessLogger;
  private readonly guard: ClientGuard;
  /** --root-path without trailing slashes; '' when the router is mounted at /. */
  private readonly root: string;

  constructor(private readonly options: HttpServerOptions) {
    this.root = options.rootPath.replace(/\/+$/, '');
    this.routes = new RouteTable(options.routes);
    this.auth = new ApiKeyAuth(options.apiKeys);
    this.accessLog = createAccessLogger(options.logger, options.logFormat ?? 'text');
    const limits: ClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...options.clientLimits };
    this.guard = new ClientGuard(limits, options.metrics.registry);
    this.server = createServer({ keepAliveTimeout: 65_000, ...serverOptionsFor(limits) }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // handle() answers every error itself; reaching here is a bug, which must not end the process.
        options.logger.error('request handler failed', { error: String(err) });
        if (!res.headersSent) sendError(res, err);
        else res.destroy();
      });
    });
    this.guard.attach(this.server);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve({ port: typeof address === 'object' && address ? address.port : port, host });
      });
    });
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Stop accepting, let in-flight requests (streams included) finish for up to `timeoutMs`, then cut
   * whatever is left. Resolves true when everything finished in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const finished = this.inFlight === 0 ? Promise.resolve(true) : new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const clean = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
    return clean;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ctx = new Context(requestIdOf(req), req.url ?? '/', performance.now());
    res.setHeader('x-request-id', ctx.id);
    this.inFlight++;
    res.once('close', () => this.finish(req, res, ctx));
    try {
      if (this.draining) {
        res.setHeader('connection', 'close');
        throw errors.shuttingDown();
      }
      const refused = this.guard.begin(req, res);
      if (refused) {
        res.setHeader('connection', 'close');
        throw refused;
      }
      if (ctx.badTarget) throw errors.badRequest('The request target is not a valid URL.', null, 'invalid_request_target');
      const path = this.stripRoot(ctx.path);
      if (this.auth.appliesTo(req.method, path) && !this.auth.accepts(req)) throw errors.unauthorized();
      const method = req.method ?? 'GET';
      const handler = this.routes.find(method, path);
      if (handler === undefined) throw errors.notFound(`No route for ${method} ${path}.`, 'route_not_found');
      if (handler === 'wrong-method') throw errors.methodNotAllowed(method, path);
      await handler(req, res, ctx);
    } catch (err) {
      // Already answered (the body deadline's 408 went out while the handler waited for the body).
      if (res.writableEnded) return;
      // A client that left while its body was still arriving is not a router fault.
      const e = clientLeftMidBody(req, res) ? errors.clientClosed(err) : sendError(res, err);
      ctx.notes.errorCode = e.code;
      ctx.notes.failure = e;
      if (e.status === 499) {
        if (!req.complete) this.guard.count('client_aborted');
        this.options.logger.debug('client closed the request', { id: ctx.id, path: ctx.path, cause: String(e.cause ?? '') });
      } else if (e.status >= 500 && e.status !== 501 && e.status !== 503 && e.status !== 504)
        this.options.logger.error('request failed', { id: ctx.id, code: e.code, error: e.message, cause: String(e.cause ?? '') });
      if (!req.complete && !req.destroyed) req.resume();
    }
  }

  /** Sockets open now (for tests and the soak bench). */
  get openConnections(): number {
    return this.sockets.size;
  }

  private stripRoot(path: string): string {
    const root = this.root;
    if (root && (path === root || path.startsWith(`${root}/`))) return path.slice(root.length) || '/';
    return path;
  }

  private finish(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): void {
    this.inFlight--;
    const seconds = (performance.now() - ctx.startedAt) / 1000;
    const { model, engine, streamed, retries, errorCode, migrations, notMigrated } = ctx.notes;
    const status = res.writableFinished ? res.statusCode : 499;
    // Metrics only for models the router knows, so arbitrary client input can't grow label sets.
    if (model) {
      this.options.metrics.latency(engine ?? 'none', model, status >= 400 || errorCode !== undefined).observe(seconds);
      // Engine-side failures are counted per attempt by the routing core (vllm:request_errors_total).
      if (errorCode) this.options.metrics.routerErrors.inc({ model, code: errorCode });
    }
    this.accessLog({
      id: ctx.id,
      method: req.method,
      path: ctx.path,
      model: model ?? ctx.notes.requestedModel,
      engine,
      prefillEngine: ctx.notes.prefillEngine,
      status,
      latencyMs: Math.round(seconds * 10_000) / 10,
      streamed: streamed ?? false,
      ...(ctx.notes.modelDefaulted ? { modelDefaulted: true } : {}),
      retries,
      error: errorCode,
      migrations,
      notMigrated,
    });
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
