import type { IncomingHttpHeaders } from 'node:http';
import type { EngineEntry, RoutingTable } from '@vllm-router/common/routing-table';
import { errors, ProxyError } from '../http/errors.js';
import { upstreamRequestHeaders } from '../forward/headers.js';
import { UpstreamCall, type UpstreamBody } from '../forward/upstream-call.js';
import { classifyUpstreamError, type UpstreamFailure } from '../forward/upstream-errors.js';
import type { UpstreamPools } from '../forward/upstream-pools.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { priorityBodies } from '../admission/priority-body.js';
import { findCandidates } from './candidates.js';
import type { Capability } from './endpoints.js';
import type { EngineGate } from './engine-gate.js';
import { ALWAYS_HEALTHY, type HealthView } from './health-view.js';
import { LoadTracker } from './load-tracker.js';
import type { EngineSignalView, PickRequest, PolicyContext, RoutingPolicy } from './policies/policy.js';
import { createPolicy, type PolicyOptions } from './policies/registry.js';
import { RoutingSnapshot } from './snapshot.js';
import type { RoutingDecision } from '../logging/routing-log.js';
import type { EngineCallSpan, RequestSpan } from '../telemetry/request-span.js';

/** One request on its way to an engine, after parsing and alias resolution. */
export interface RoutedRequest {
  requestId: string;
  /** Path and query to request on the engine. */
  path: string;
  /** POST unless given (GET /v1/audio/voices). */
  method?: 'GET' | 'POST';
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
  /** Narrows the engines and the choice: one leg of a request a policy splits (disaggregated prefill). */
  select?: EngineSelect;
  /** Engines this request must not use (a migrated request's failed engines); `send` adds each engine it tries. */
  tried?: Set<string>;
  /** Tracing of this request (OpenTelemetry, Sentry), when configured. */
  span?: RequestSpan;
  /** Admission control: only engines with room are candidates, and each engine used holds a slot. */
  gate?: EngineGate;
  /**
   * The request's admitted priority. Engines that schedule by priority get it in the body's
   * `priority` field, the others get the body without one (see admission/priority-body.ts).
   * Absent: the body goes as it is.
   */
  priority?: number;
}

/**
 * How a leg of a split request picks its engine: among the candidates the core found (model,
 * readiness, health, capability), only those it accepts, chosen by its own pick. The policy's
 * `orchestrate` hook is skipped for such a request, so a leg is always one plain exchange.
 */
export interface EngineSelect {
  accepts(engine: EngineEntry): boolean;
  pick(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry;
  /** The error when no candidate is accepted (and none was tried yet). */
  none(): ProxyError;
  /** Told of every failure before the engine's head; true lets the core try another accepted engine. */
  failed(engine: EngineEntry, failure: UpstreamFailure): boolean;
}

/** Watches one request to one engine for request statistics; every method must be cheap. */
export interface RequestTraceSink {
  responded(status: number, contentType: string | undefined): void;
  /** A piece of the response body as it passes through. */
  chunk(buf: Buffer): void;
  /** The engine failed the request (unreachable, or the response was cut); `reason` is a stable code. */
  fail(reason?: string): void;
  end(): void;
}

/** An engine failed a request: it could not be reached, or its answer broke off (not a client abort, not a planned drain). */
export interface EngineFailure {
  engine: EngineEntry;
  model: string;
  /**
   * A stable code: the connect-phase error (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, ...), how a
   * migrated answer broke (`connection_lost`, `incomplete`, `error_event`, `timeout`: see
   * migration/break-reason.ts), or `interrupted` for an answer cut on an endpoint without migration.
   */
  reason: string;
}

/** Passive health handling subscribes here (see RoutingCore.onEngineFailure). */
export type EngineFailureListener = (failure: EngineFailure) => void;

export interface RequestObserver {
  begin(engineId: string, startedAt?: number, model?: string): RequestTraceSink;
}

function outlierSignal(failure: UpstreamFailure): 'connect' | 'reset' | 'timeout' {
  if (failure.kind === 'first-byte-timeout' || (failure.kind === 'connect' && failure.timeout)) return 'timeout';
  if (failure.kind === 'connect' && failure.code !== 'ECONNRESET' && failure.code !== 'UND_ERR_SOCKET' && failure.code !== 'EPIPE') return 'connect';
  return 'reset';
}

/** The body one engine gets: the request's own, or with its `priority` field set or removed for that engine. */
function bodyForEngine(request: RoutedRequest, engine: EngineEntry): Buffer {
  if (request.priority === undefined || !request.json) return request.body;
  return priorityBodies(request.json, request.body, request.priority)?.(engine) ?? request.body;
}

/** How an answer that broke off after its head counts for outlier detection (reasons: migration/break-reason.ts). */
function midAnswerSignal(reason: string | undefined): 'reset' | 'timeout' | 'status_5xx' {
  if (reason === 'timeout') return 'timeout';
  // The engine itself reported an error: count it like a 5xx answer, not as a dead connection.
  if (reason === 'error_event') return 'status_5xx';
  return 'reset';
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
  /** For a request split by disaggregated prefill: the prefill engine that computed its prompt. */
  prefill?: { engine: EngineEntry; retries: number };
  /** Feed it the response body chunks; call `fail` if the response is cut. */
  trace: RequestTraceSink;
  /** Ends the engine's in-flight count (and the trace), and cuts a body not yet finished; idempotent. */
  release: () => void;
}

/** Hears how each attempt on an engine went (passive outlier detection). */
export interface EngineOutcomeSink {
  succeeded(engineId: string): void;
  failed(engineId: string, signal: 'connect' | 'reset' | 'timeout' | 'status_5xx', reason: string): void;
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
  outcomes?: EngineOutcomeSink;
  /** Settings policies are built with (e.g. --kv-aware-threshold). */
  policyOptions?: PolicyOptions;
  /** Told of every engine chosen for a request, retries included (the routing log line). */
  onRouted?: (decision: RoutingDecision) => void;
  /** Headers of an engine's own (an external provider's key): they replace the client's Authorization. */
  engineHeaders?: (engine: EngineEntry) => Readonly<Record<string, string>> | undefined;
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
  private readonly failureListeners = new Set<EngineFailureListener>();
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
    const policy = previous && previous.policy.name === table.routingLogic ? previous.policy : createPolicy(table.routingLogic, this.options.policyOptions);
    const snapshot = new RoutingSnapshot(table);
    this.current = { snapshot, policy };
    for (const model of snapshot.models()) this.everServed.add(model);
    for (const alias of Object.keys(table.aliases)) this.everServed.add(alias);
    this.options.pools.retain(new Set(table.engines.map((e) => new URL(e.url).origin)));
    policy.retainEngines?.(new Set(table.engines.map((e) => e.id)));
    const urls = new Set(table.engines.map((e) => e.url));
    for (const old of previous?.snapshot.table.engines ?? []) if (!urls.has(old.url)) this.options.metrics.forgetServer(old.url);
  }

  /** Resolve a requested model name; 404 for a name never served, 503 for one that lost its engines. */
  resolveModel(name: string): { model: string; alias?: string } {
    const snapshot = this.requireSnapshot();
    const resolved = snapshot.resolve(name);
    if (resolved) return resolved;
    if (this.everServed.has(name)) throw errors.noEngine(name);
    throw errors.modelNotFound(name);
  }

  /** The one model routing can serve now (an engine ready and healthy for it), if there is exactly one. */
  soleRoutableModel(): string | undefined {
    const snapshot = this.current?.snapshot;
    if (!snapshot) return undefined;
    let sole: string | undefined;
    for (const model of snapshot.models()) {
      if (!snapshot.enginesServing(model).some((e) => e.ready && this.health.isHealthy(e.id, model))) continue;
      if (sole !== undefined) return undefined;
      sole = model;
    }
    return sole;
  }

  knownModels(): Set<string> {
    const snapshot = this.current?.snapshot;
    if (!snapshot) return new Set();
    return new Set([...snapshot.models(), ...Object.keys(snapshot.table.aliases)]);
  }

  /**
   * The one hook for passive health handling: called whenever an engine fails a request, whether
   * before its answer (connect errors, first-byte timeouts) or during it (reported through the
   * exchange's `trace.fail(reason)`, as the relay and request migration do). Returns an unsubscribe.
   */
  onEngineFailure(listener: EngineFailureListener): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Send the request, trying other engines of the model after a connect-phase failure. */
  async send(request: RoutedRequest): Promise<UpstreamExchange> {
    const { snapshot, policy } = this.requireCurrent();
    const orchestrated = request.select ? undefined : policy.orchestrate?.(request, this);
    if (orchestrated) return orchestrated;
    const tried = request.tried ?? new Set<string>();
    const excludedBefore = tried.size;
    let lastFailure: UpstreamFailure | undefined;
    const pickRequest: PickRequest = { model: request.model, path: request.path, headers: request.headers, body: request.json };
    for (let attempt = 0; attempt <= this.options.maxFailoverAttempts; attempt++) {
      const engine = this.choose(snapshot, policy, pickRequest, request, tried, attempt > 0);
      if (!engine) break;
      tried.add(engine.id);
      this.options.onRouted?.({ requestId: request.requestId, engine, request: pickRequest, sessionKey: snapshot.table.sessionKey, receivedAt: request.receivedAt });
      if (request.span) {
        const detail = policy.explain?.(pickRequest, engine);
        request.span.routed({ model: request.model, engine, logic: policy.name, ...(detail ? { detail } : {}) });
      }
      const callSpan = request.span?.engineCall(engine, request.method ?? 'POST', request.path);
      const { trace, release } = this.track(engine, request.model, this.options.observer?.begin(engine.id, request.receivedAt, request.model) ?? NO_TRACE, policy, pickRequest, request.gate?.acquire(engine));
      const body = bodyForEngine(request, engine);
      const call = new UpstreamCall(this.options.pools.get(snapshot.originOf(engine)), {
        method: request.method ?? 'POST',
        path: request.path,
        headers: this.headersFor(engine, request, body.length, callSpan),
        body,
      });
      // The client leaving cuts the call, before or after the engine's head.
      const onAbort = () => call.abort(errors.clientClosed());
      if (request.signal.aborted) onAbort();
      else request.signal.addEventListener('abort', onAbort, { once: true });
      const stopWatching = () => request.signal.removeEventListener('abort', onAbort);
      try {
        const head = await call.head;
        callSpan?.responded(head.statusCode);
        trace.responded(head.statusCode, head.headers['content-type']);
        if (head.statusCode >= 500) this.options.outcomes?.failed(engine.id, 'status_5xx', `HTTP ${head.statusCode}`);
        else this.options.outcomes?.succeeded(engine.id);
        if (head.statusCode >= 400) this.options.metrics.engineError(engine.url, request.model, head.statusCode < 500 ? 'http_4xx' : 'http_5xx');
        const releaseAll = () => {
          stopWatching();
          // A caller that gave up before the body ended (e.g. the engine's headers could not be
          // relayed) must not leave the engine streaming into nowhere; after the end this is a no-op.
          call.abort(RELEASED);
          release();
          callSpan?.end();
        };
        return { engine, statusCode: head.statusCode, headers: head.headers, body: call, retries: attempt, trace, release: releaseAll };
      } catch (err) {
        stopWatching();
        const failure = classifyUpstreamError(err, request.signal.aborted);
        callSpan?.end(err);
        if (failure.kind !== 'aborted') trace.fail(failure.code);
        release();
        if (failure.kind === 'aborted') throw errors.clientClosed(err);
        this.options.metrics.upstreamErrors.inc({ server: engine.url, code: failure.code });
        this.options.metrics.engineError(engine.url, request.model, failure.kind === 'connect' ? (failure.timeout ? 'timeout' : 'connect_error') : failure.kind === 'first-byte-timeout' ? 'timeout' : 'upstream_error');
        this.options.outcomes?.failed(engine.id, outlierSignal(failure), failure.code);
        const mayRetry = request.select?.failed(engine, failure) !== false;
        if (failure.kind === 'first-byte-timeout') throw errors.gatewayTimeout(`Engine ${engine.id} sent no response in time.`, err);
        if (failure.kind === 'other') throw errors.badGateway(`Engine ${engine.id} failed: ${failure.code}.`, err);
        lastFailure = failure;
        if (request.pinnedEngineId || !mayRetry) break;
        this.options.metrics.upstreamRetries.inc({ server: engine.url });
      }
    }
    if (lastFailure?.kind === 'connect' && lastFailure.timeout)
      throw errors.gatewayTimeout(`Could not connect to an engine for "${request.model}" in time (${tried.size - excludedBefore} tried).`);
    if (lastFailure) throw errors.badGateway(`Could not reach an engine for "${request.model}" (${tried.size - excludedBefore} tried, last error ${lastFailure.code}).`);
    throw errors.noEngine(request.model);
  }

  private choose(
    snapshot: RoutingSnapshot,
    policy: RoutingPolicy,
    pickRequest: PickRequest,
    request: RoutedRequest,
    tried: ReadonlySet<string>,
    failingOver: boolean,
  ): EngineEntry | undefined {
    if (request.pinnedEngineId !== undefined) {
      if (failingOver) return undefined;
      const engine = snapshot.engines.get(request.pinnedEngineId);
      if (!engine || !engine.models.includes(request.model))
        throw errors.badRequest(`Engine "${request.pinnedEngineId}" does not serve model "${request.model}".`, 'id', 'engine_not_found');
      return engine;
    }
    const found = findCandidates(snapshot, request.model, request.needs, this.health, tried);
    if (!found.ok) {
      if (failingOver) return undefined; // ran out of engines to fail over to
      throw found.error;
    }
    const context = this.policyContext(snapshot);
    // Admission control: only engines with room (all of them without limits).
    const gate = request.gate;
    const admitted = gate ? found.engines.filter((e) => gate.admits(e)) : found.engines;
    const select = request.select;
    if (!select) {
      if (admitted.length === 0) {
        if (failingOver) return undefined;
        throw errors.noRoom(request.model);
      }
      return policy.pick(pickRequest, admitted, context);
    }
    const accepted = admitted.filter((e) => select.accepts(e));
    if (accepted.length === 0) {
      if (failingOver) return undefined;
      throw found.engines.some((e) => select.accepts(e)) ? errors.noRoom(request.model) : select.none();
    }
    return select.pick(pickRequest, accepted, context);
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

  /** What policies see: the snapshot, in-flight counts here, and the engines' scraped signals. */
  private policyContext(snapshot: RoutingSnapshot): PolicyContext {
    return { snapshot, load: this.load, ...(this.options.signals ? { signals: this.options.signals } : {}) };
  }

  /** Other engines tried after a failure before the first byte (--max-instance-failover-reroute-attempts). */
  get maxFailoverAttempts(): number {
    return this.options.maxFailoverAttempts;
  }

  get metrics(): ProxyMetrics {
    return this.options.metrics;
  }

  /** Counts the request in flight on the engine; the returned release ends it, its trace, the policy's view of it and its admission slot. */
  private track(
    engine: EngineEntry,
    model: string,
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
    let responded = false;
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
      responded: (status, contentType) => {
        responded = true;
        inner.responded(status, contentType);
      },
      chunk: (buf) => inner.chunk(buf),
      fail: (reason) => {
        if (failed) return;
        // Cut after the head: the engine died, reset, stalled or sent an error event mid-answer
        // (failures before the head are reported to the outlier detector where they happen).
        if (responded) {
          this.options.outcomes?.failed(engine.id, midAnswerSignal(reason), reason ?? 'response cut mid-stream');
          this.options.metrics.engineError(engine.url, model, 'interrupted');
        }
        failed = true;
        inner.fail();
        this.reportFailure({ engine, model, reason: reason ?? 'interrupted' });
      },
      end: release,
    };
    return { trace, release };
  }

  private reportFailure(failure: EngineFailure): void {
    for (const listener of this.failureListeners) {
      try {
        listener(failure);
      } catch {
        // A listener's bug must not break the request that reported the failure.
      }
    }
  }

  private headersFor(engine: EngineEntry, request: RoutedRequest, bodyLength: number, callSpan: EngineCallSpan | undefined): Record<string, string> {
    const headers = upstreamRequestHeaders(request.headers, request.requestId, bodyLength, this.options.backendApiKey);
    // Our span's context replaces the client's traceparent: the engine's spans nest under this call.
    if (callSpan) Object.assign(headers, callSpan.headers);
    const own = this.options.engineHeaders?.(engine);
    if (own) {
      // Neither the client's key for this router nor VLLM_API_KEY may reach another party.
      delete headers.authorization;
      Object.assign(headers, own);
    }
    return headers;
  }

  private requireCurrent(): { snapshot: RoutingSnapshot; policy: RoutingPolicy } {
    if (!this.current) throw new ProxyError(503, 'no_routing_table', 'The router has no routing table yet.', 'service_unavailable_error');
    return this.current;
  }

  private requireSnapshot(): RoutingSnapshot {
    return this.requireCurrent().snapshot;
  }
}
