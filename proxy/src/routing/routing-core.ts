import type { IncomingHttpHeaders } from 'node:http';
import type { EngineEntry, RoutingTable } from '@vllm-router/common/routing-table';
import { errors, ProxyError } from '../http/errors.js';
import { upstreamRequestHeaders } from '../forward/headers.js';
import { UpstreamCall, type UpstreamBody } from '../forward/upstream-call.js';
import { classifyUpstreamError, type UpstreamFailure } from '../forward/upstream-errors.js';
import type { UpstreamPools } from '../forward/upstream-pools.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { findCandidates } from './candidates.js';
import type { Capability } from './endpoints.js';
import type { EngineGate } from './engine-gate.js';
import { ALWAYS_HEALTHY, type HealthView } from './health-view.js';
import { LoadTracker } from './load-tracker.js';
import type { EngineSignalView, PickRequest, PolicyContext, RoutingPolicy } from './policies/policy.js';
import { createPolicy } from './policies/registry.js';
import { RoutingSnapshot } from './snapshot.js';

/** One request on its way to an engine, after parsing and alias resolution. */
export interface RoutedRequest {
  requestId: string;
  /** Path and query to request on the engine. */
  path: string;
  model: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: Record<string, unknown> | undefined;
  needs: readonly Capability[];
  /** `?id=<engine id>` pins the request to one engine, as in the reference router. */
  pinnedEngineId?: string;
  signal: AbortSignal;
  /** performance.now() when the router received the request (request stats measure from here). */
  receivedAt?: number;
  /** Admission control: only engines with room are candidates, and each engine used holds a slot. */
  gate?: EngineGate;
  /** The body to send to one engine, when it differs per engine (the `priority` field); else `body`. */
  bodyFor?: (engine: EngineEntry) => Buffer;
}

/** Watches one request to one engine for request statistics; every method must be cheap. */
export interface RequestTraceSink {
  responded(status: number, contentType: string | undefined): void;
  /** A piece of the response body as it passes through. */
  chunk(buf: Buffer): void;
  /** The engine failed the request (unreachable, or the response was cut). */
  fail(): void;
  end(): void;
}

export interface RequestObserver {
  begin(engineId: string, startedAt?: number): RequestTraceSink;
}

const RELEASED = new Error('the router released the exchange before the engine finished');

const NO_TRACE: RequestTraceSink = { responded: () => undefined, chunk: () => undefined, fail: () => undefined, end: () => undefined };

/** An engine's response headers arrived; the caller pipes `body` at once and then calls `release`. */
export interface UpstreamExchange {
  engine: EngineEntry;
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
  retries: number;
  /** Feed it the response body chunks; call `fail` if the response is cut. */
  trace: RequestTraceSink;
  /** Ends the engine's in-flight count (and the trace), and cuts a body not yet finished; idempotent. */
  release: () => void;
}

export interface RoutingCoreOptions {
  pools: UpstreamPools;
  metrics: ProxyMetrics;
  backendApiKey?: string;
  maxFailoverAttempts: number;
  health?: HealthView;
  /** Request statistics (see proxy/src/stats). */
  observer?: RequestObserver;
  /** Scraped engine load signals, passed to policies. */
  signals?: EngineSignalView;
}

/**
 * The routing core: the current snapshot and policy, in-flight counts, and sending a request to the
 * chosen engine with failover before the first byte. Shared by HTTP requests and batch lines.
 */
export class RoutingCore {
  private current: { snapshot: RoutingSnapshot; policy: RoutingPolicy } | undefined;
  readonly load = new LoadTracker();
  /** Models ever routable: a model that lost all its engines is a 503, not a 404. */
  private readonly everServed = new Set<string>();
  health: HealthView;

  constructor(private readonly options: RoutingCoreOptions) {
    this.health = options.health ?? ALWAYS_HEALTHY;
  }

  get snapshot(): RoutingSnapshot | undefined {
    return this.current?.snapshot;
  }

  /** Swap in a validated table. Throws (and keeps the old table) if its policy can't be built. */
  setTable(table: RoutingTable): void {
    const previous = this.current;
    const policy = previous && previous.policy.name === table.routingLogic ? previous.policy : createPolicy(table.routingLogic);
    const snapshot = new RoutingSnapshot(table);
    this.current = { snapshot, policy };
    for (const model of snapshot.models()) this.everServed.add(model);
    for (const alias of Object.keys(table.aliases)) this.everServed.add(alias);
    this.options.pools.retain(new Set(table.engines.map((e) => new URL(e.url).origin)));
    policy.retainEngines?.(new Set(table.engines.map((e) => e.id)));
    const urls = new Set(table.engines.map((e) => e.url));
    for (const old of previous?.snapshot.table.engines ?? []) if (!urls.has(old.url)) this.options.metrics.forgetServer(old.url);
    this.options.metrics.routingEngines.set({ ready: 'true' }, table.engines.filter((e) => e.ready).length);
    this.options.metrics.routingEngines.set({ ready: 'false' }, table.engines.filter((e) => !e.ready).length);
  }

  /** Resolve a requested model name; 404 for a name never served, 503 for one that lost its engines. */
  resolveModel(name: string): { model: string; alias?: string } {
    const snapshot = this.requireSnapshot();
    const resolved = snapshot.resolve(name);
    if (resolved) return resolved;
    if (this.everServed.has(name)) throw errors.noEngine(name);
    throw errors.modelNotFound(name);
  }

  knownModels(): Set<string> {
    const snapshot = this.current?.snapshot;
    if (!snapshot) return new Set();
    return new Set([...snapshot.models(), ...Object.keys(snapshot.table.aliases)]);
  }

  /** Send the request, trying other engines of the model after a connect-phase failure. */
  async send(request: RoutedRequest): Promise<UpstreamExchange> {
    const { snapshot, policy } = this.requireCurrent();
    const tried = new Set<string>();
    let lastFailure: UpstreamFailure | undefined;
    const pickRequest: PickRequest = { model: request.model, path: request.path, headers: request.headers, body: request.json };
    for (let attempt = 0; attempt <= this.options.maxFailoverAttempts; attempt++) {
      const engine = this.choose(snapshot, policy, pickRequest, request, tried);
      if (!engine) break;
      tried.add(engine.id);
      const { trace, release } = this.track(engine, this.options.observer?.begin(engine.id, request.receivedAt) ?? NO_TRACE, policy, pickRequest, request.gate?.acquire(engine));
      const body = request.bodyFor?.(engine) ?? request.body;
      const call = new UpstreamCall(this.options.pools.get(snapshot.originOf(engine)), {
        method: 'POST',
        path: request.path,
        headers: upstreamRequestHeaders(request.headers, request.requestId, body.length, this.options.backendApiKey),
        body,
      });
      // The client leaving cuts the call, before or after the engine's head.
      const onAbort = () => call.abort(errors.clientClosed());
      if (request.signal.aborted) onAbort();
      else request.signal.addEventListener('abort', onAbort, { once: true });
      const stopWatching = () => request.signal.removeEventListener('abort', onAbort);
      try {
        const head = await call.head;
        trace.responded(head.statusCode, head.headers['content-type']);
        const releaseAll = () => {
          stopWatching();
          // A caller that gave up before the body ended (e.g. the engine's headers could not be
          // relayed) must not leave the engine streaming into nowhere; after the end this is a no-op.
          call.abort(RELEASED);
          release();
        };
        return { engine, statusCode: head.statusCode, headers: head.headers, body: call, retries: attempt, trace, release: releaseAll };
      } catch (err) {
        stopWatching();
        const failure = classifyUpstreamError(err, request.signal.aborted);
        if (failure.kind !== 'aborted') trace.fail();
        release();
        if (failure.kind === 'aborted') throw errors.clientClosed(err);
        this.options.metrics.upstreamErrors.inc({ server: engine.url, code: failure.code });
        if (failure.kind === 'first-byte-timeout') throw errors.gatewayTimeout(`Engine ${engine.id} sent no response in time.`, err);
        if (failure.kind === 'other') throw errors.badGateway(`Engine ${engine.id} failed: ${failure.code}.`, err);
        lastFailure = failure;
        if (request.pinnedEngineId) break;
        this.options.metrics.upstreamRetries.inc({ server: engine.url });
      }
    }
    if (lastFailure?.kind === 'connect' && lastFailure.timeout)
      throw errors.gatewayTimeout(`Could not connect to an engine for "${request.model}" in time (${tried.size} tried).`);
    if (lastFailure) throw errors.badGateway(`Could not reach an engine for "${request.model}" (${tried.size} tried, last error ${lastFailure.code}).`);
    throw errors.noEngine(request.model);
  }

  private choose(
    snapshot: RoutingSnapshot,
    policy: RoutingPolicy,
    pickRequest: PickRequest,
    request: RoutedRequest,
    tried: ReadonlySet<string>,
  ): EngineEntry | undefined {
    if (request.pinnedEngineId !== undefined) {
      if (tried.size > 0) return undefined;
      const engine = snapshot.engines.get(request.pinnedEngineId);
      if (!engine || !engine.models.includes(request.model))
        throw errors.badRequest(`Engine "${request.pinnedEngineId}" does not serve model "${request.model}".`, 'id', 'engine_not_found');
      return engine;
    }
    const found = findCandidates(snapshot, request.model, request.needs, this.health, tried);
    if (!found.ok) {
      if (tried.size > 0) return undefined; // ran out of engines to fail over to
      throw found.error;
    }
    const gate = request.gate;
    const engines = gate ? found.engines.filter((e) => gate.admits(e)) : found.engines;
    if (engines.length === 0) {
      if (tried.size > 0) return undefined;
      throw errors.noRoom(request.model);
    }
    return policy.pick(pickRequest, engines, this.policyContext(snapshot));
  }

  /**
   * The engine the policy has affinity for among `candidates` (session owner, cached prefix), without
   * routing anything; undefined when the policy has no affinity for this request.
   */
  preferredEngine(pickRequest: PickRequest, candidates: readonly EngineEntry[]): EngineEntry | undefined {
    const current = this.current;
    if (!current || candidates.length === 0) return undefined;
    return current.policy.preferredEngine?.(pickRequest, candidates, this.policyContext(current.snapshot));
  }

  private policyContext(snapshot: RoutingSnapshot): PolicyContext {
    return { snapshot, load: this.load, ...(this.options.signals ? { signals: this.options.signals } : {}) };
  }

  /** Counts the request in flight on the engine; the returned release ends it, its trace and the policy's view of it. */
  private track(
    engine: EngineEntry,
    inner: RequestTraceSink,
    policy: RoutingPolicy,
    pickRequest: PickRequest,
    releaseSlot?: () => void,
  ): { trace: RequestTraceSink; release: () => void } {
    const end = this.load.begin(engine.id);
    const gauge = this.options.metrics.running(engine.url);
    gauge.inc();
    let done = false;
    let failed = false;
    const release = () => {
      if (done) return;
      done = true;
      end();
      gauge.dec();
      inner.end();
      policy.onRequestEnd?.(pickRequest, engine, { ok: !failed });
      releaseSlot?.();
    };
    const trace: RequestTraceSink = {
      responded: (status, contentType) => inner.responded(status, contentType),
      chunk: (buf) => inner.chunk(buf),
      fail: () => {
        failed = true;
        inner.fail();
      },
      end: release,
    };
    return { trace, release };
  }

  private requireCurrent(): { snapshot: RoutingSnapshot; policy: RoutingPolicy } {
    if (!this.current) throw new ProxyError(503, 'no_routing_table', 'The router has no routing table yet.', 'service_unavailable_error');
    return this.current;
  }

  private requireSnapshot(): RoutingSnapshot {
    return this.requireCurrent().snapshot;
  }
}
