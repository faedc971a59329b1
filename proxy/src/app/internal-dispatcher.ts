import type { AdmissionController } from '../admission/index.js';
import { readWholeBody } from '../forward/upstream-call.js';
import { parseJsonWithDepthLimit } from '../http/json-depth.js';
import { ProxyError, errors } from '../http/errors.js';
import type { InternalDispatcher, InternalRequest, InternalResponse } from '../http/route.js';
import { MODEL_ENDPOINTS, requiredCapabilities } from '../routing/endpoints.js';
import type { EngineGate } from '../routing/engine-gate.js';
import type { RoutingCore, UpstreamExchange } from '../routing/routing-core.js';

export interface InternalDispatcherOptions {
  /** Interactive requests in flight per engine at which background work waits (without admission limits); default 4. */
  busyInFlightPerEngine?: number;
  /** Batch lines queue as its lowest class, so one mechanism decides who goes next. */
  admission?: AdmissionController;
}

const BUSY_IN_FLIGHT_PER_ENGINE = 4;

/** Batch lines share one tenant: they are not charged to a client's rate limit. */
const BATCH_TENANT = 'batch';

/**
 * Sends router-originated requests (batch lines) through the same routing core as HTTP clients,
 * and tells background work when interactive traffic needs the engines.
 */
export class CoreDispatcher implements InternalDispatcher {
  private readonly ownInFlight = new Map<string, number>();

  constructor(
    private readonly core: RoutingCore,
    private readonly options: InternalDispatcherOptions = {},
  ) {}

  async dispatch(request: InternalRequest): Promise<InternalResponse> {
    const endpoint = MODEL_ENDPOINTS.find((e) => e.path === request.path && e.body === 'json');
    if (!endpoint) throw errors.badRequest(`Endpoint ${request.path} cannot be called from a batch.`, 'url', 'invalid_endpoint');
    const name = request.body.model;
    if (typeof name !== 'string' || name === '') throw errors.missingModel();
    const { model } = this.core.resolveModel(name);
    const json = { ...request.body, model };
    const body = Buffer.from(JSON.stringify(json));
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    this.ownInFlight.set(model, (this.ownInFlight.get(model) ?? 0) + 1);
    try {
      const headers = { 'content-type': 'application/json', 'x-request-id': request.requestId };
      const needs = requiredCapabilities(endpoint, json);
      const admission = this.options.admission;
      const send = (gate?: EngineGate, priority?: number) =>
        this.core.send({
          requestId: request.requestId,
          path: endpoint.path,
          model,
          headers,
          body,
          json,
          needs,
          signal: controller.signal,
          ...(gate ? { gate } : {}),
          ...(priority !== undefined ? { priority } : {}),
        });
      let exchange: UpstreamExchange;
      if (admission) {
        const { priority } = admission.identify({}, json, body.length);
        const pick = { model, path: endpoint.path, headers, body: json };
        const request = { model, needs, pick, trafficClass: 'batch' as const, priority, tenant: BATCH_TENANT, estimatedTokens: 0, signal: controller.signal };
        exchange = (await admission.send(request, (gate) => send(gate, priority))).exchange;
      } else exchange = await send();
      try {
        const raw = await readWholeBody(exchange.body);
        exchange.trace.chunk(raw);
        const text = raw.toString('utf8');
        const isJson = String(exchange.headers['content-type'] ?? '').includes('json');
        return { status: exchange.statusCode, body: isJson ? safeJson(text) : text };
      } finally {
        exchange.release();
      }
    } catch (err) {
      if (err instanceof ProxyError) return { status: err.status, body: err.toBody() };
      throw err;
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
      this.ownInFlight.set(model, (this.ownInFlight.get(model) ?? 1) - 1);
    }
  }

  isBusy(model: string): boolean {
    // With room limits, waiting batch lines queue behind every interactive request instead.
    if (this.options.admission?.queueing) return false;
    const snapshot = this.core.snapshot;
    if (!snapshot) return true;
    const resolved = snapshot.resolve(model);
    const engines = resolved ? snapshot.enginesServing(resolved.model).filter((e) => e.ready) : [];
    if (engines.length === 0) return false; // nothing to protect; the line fails fast instead
    const total = engines.reduce((sum, e) => sum + this.core.load.get(e.id), 0);
    const interactive = total - (this.ownInFlight.get(resolved!.model) ?? 0);
    return interactive >= engines.length * (this.options.busyInFlightPerEngine ?? BUSY_IN_FLIGHT_PER_ENGINE);
  }

  knownModels(): Set<string> {
    return this.core.knownModels();
  }
}

/** The engine's JSON answer, or its text when it does not parse (or nests too deep to write back out). */
function safeJson(text: string): unknown {
  try {
    return parseJsonWithDepthLimit(text);
  } catch {
    return text;
  }
}
