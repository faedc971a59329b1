import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyMetrics } from '../../metrics/proxy-metrics.js';
import { clientResponseHeaders } from '../../forward/headers.js';
import { requiredCapabilities, type ModelEndpoint } from '../../routing/endpoints.js';
import type { RoutedRequest, RoutingCore, UpstreamExchange } from '../../routing/routing-core.js';
import type { RequestMigrator } from '../../migration/request-migrator.js';
import { parseJsonObject, readBody } from '../body.js';
import { errors, ProxyError } from '../errors.js';
import { readMultipartField, replaceMultipartField } from '../multipart-model.js';
import type { RequestContext, RouteHandler } from '../route.js';

export interface ModelRouteDeps {
  core: RoutingCore;
  metrics: ProxyMetrics;
  maxBodyBytes: number;
  /** Request migration for chat and completions (proxy/src/migration); absent or covering nothing when off. */
  migration?: RequestMigrator;
}

/** Reads the body, finds and resolves the model, and rewrites an alias to the real model name. */
async function readRoutedBody(req: IncomingMessage, endpoint: ModelEndpoint, deps: ModelRouteDeps, ctx: RequestContext) {
  const raw = await readBody(req, deps.maxBodyBytes);
  const contentType = req.headers['content-type'];
  const json = endpoint.body === 'json' ? parseJsonObject(raw) : undefined;
  let name = json ? json.model : readMultipartField(raw, contentType, 'model');
  let defaulted = false;
  if ((name === undefined || name === null || name === '') && json) {
    // vLLM alone serves its one model to a request without one; so does the router when it routes exactly one.
    const sole = deps.core.soleRoutableModel();
    if (sole !== undefined) {
      name = sole;
      defaulted = true;
      ctx.notes.modelDefaulted = true;
    }
  }
  if (typeof name !== 'string' || name === '') throw errors.missingModel();
  ctx.notes.requestedModel = name;
  let resolved: { model: string; alias?: string };
  try {
    resolved = deps.core.resolveModel(name);
  } catch (err) {
    // A known model with no engine now still counts (KEDA scales engines from zero on this counter);
    // names the router never served do not, so client input can't grow the label set.
    if (err instanceof ProxyError && err.status === 503) deps.metrics.incoming(name).inc();
    throw err;
  }
  deps.metrics.incoming(name).inc();
  ctx.notes.model = resolved.model;
  if (defaulted && json) return { body: Buffer.from(JSON.stringify({ ...json, model: resolved.model })), json: { ...json, model: resolved.model }, model: resolved.model };
  if (!resolved.alias) return { body: raw, json, model: resolved.model };
  const body = json
    ? Buffer.from(JSON.stringify({ ...json, model: resolved.model }))
    : replaceMultipartField(raw, contentType, 'model', resolved.model);
  return { body, json: json && { ...json, model: resolved.model }, model: resolved.model };
}

/**
 * Streams the engine's answer to the client as it arrives: no buffering, backpressure respected
 * (a full client socket pauses the engine's connection until it drains).
 */
function relay(exchange: UpstreamExchange, res: ServerResponse, ctx: RequestContext, signal: AbortSignal): Promise<void> {
  const { body, trace } = exchange;
  res.writeHead(exchange.statusCode, clientResponseHeaders(exchange.headers, ctx.id));
  const contentType = exchange.headers['content-type'];
  ctx.notes.streamed = typeof contentType === 'string' && contentType.includes('text/event-stream');
  if (ctx.notes.streamed) res.flushHeaders();
  return new Promise<void>((resolve) => {
    const onDrain = () => body.resume();
    const done = () => {
      res.off('drain', onDrain);
      resolve();
    };
    res.on('drain', onDrain);
    // A client that leaves early aborts `signal`, which the routing core turns into cutting the call.
    res.once('close', done);
    body.pipe({
      data: (chunk) => {
        trace.chunk(chunk);
        return res.write(chunk);
      },
      end: () => {
        res.end();
        done();
      },
      error: (err) => {
        // Upstream cut mid-response (or the client left): the status is already sent, so cut the client too.
        if (!signal.aborted) {
          ctx.notes.errorCode = 'upstream_interrupted';
          trace.fail();
        }
        res.destroy(err);
        done();
      },
    });
  });
}

/** POST handler for one model-bearing endpoint (chat, completions, embeddings, ...). */
export function modelRoute(endpoint: ModelEndpoint, deps: ModelRouteDeps): RouteHandler {
  return async (req, res, ctx) => {
    const { body, json, model } = await readRoutedBody(req, endpoint, deps, ctx);
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const pinned = ctx.search ? (ctx.url.searchParams.get('id') ?? undefined) : undefined;
    const routed: RoutedRequest = {
      requestId: ctx.id,
      // The engine sees the endpoint's own path: any --root-path prefix is the router's, not the engine's.
      path: endpoint.path + ctx.search,
      model,
      headers: req.headers,
      body,
      json,
      needs: requiredCapabilities(endpoint, json),
      ...(pinned !== undefined ? { pinnedEngineId: pinned } : {}),
      signal: controller.signal,
      receivedAt: ctx.startedAt,
    };
    if (deps.migration?.covers(endpoint, routed)) return deps.migration.forward(routed, res, ctx, relay);
    const exchange = await deps.core.send(routed);
    ctx.notes.engine = exchange.engine.url;
    if (exchange.prefill) ctx.notes.prefillEngine = exchange.prefill.engine.url;
    ctx.notes.retries = exchange.retries;
    try {
      await relay(exchange, res, ctx, controller.signal);
    } finally {
      exchange.release();
    }
  };
}
