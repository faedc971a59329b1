import type { IncomingMessage, ServerResponse } from 'node:http';
import { priorityBodies, type AdmissionController } from '../../admission/index.js';
import type { ProxyMetrics } from '../../metrics/proxy-metrics.js';
import { clientResponseHeaders } from '../../forward/headers.js';
import { requiredCapabilities, type ModelEndpoint } from '../../routing/endpoints.js';
import type { RoutingCore, UpstreamExchange } from '../../routing/routing-core.js';
import { parseJsonObject, readBody } from '../body.js';
import { errors, ProxyError } from '../errors.js';
import { readMultipartField, replaceMultipartField } from '../multipart-model.js';
import type { RequestContext, RouteHandler } from '../route.js';

export interface ModelRouteDeps {
  core: RoutingCore;
  admission: AdmissionController;
  metrics: ProxyMetrics;
  maxBodyBytes: number;
}

/** Reads the body, finds and resolves the model, and rewrites an alias to the real model name. */
async function readRoutedBody(req: IncomingMessage, endpoint: ModelEndpoint, deps: ModelRouteDeps, ctx: RequestContext) {
  const raw = await readBody(req, deps.maxBodyBytes);
  const contentType = req.headers['content-type'];
  const json = endpoint.body === 'json' ? parseJsonObject(raw) : undefined;
  const name = json ? json.model : readMultipartField(raw, contentType, 'model');
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
    const identity = deps.admission.identify(req.headers, json, body.length);
    const bodyFor = priorityBodies(json, body, identity.priority);
    // The engine sees the endpoint's own path: any --root-path prefix is the router's, not the engine's.
    const path = endpoint.path + ctx.search;
    const needs = requiredCapabilities(endpoint, json);
    const pinning = pinned !== undefined ? { pinnedEngineId: pinned } : {};
    const { exchange, headers } = await deps.admission.send(
      { model, needs, ...pinning, pick: { model, path, headers: req.headers, body: json }, trafficClass: 'interactive', ...identity, signal: controller.signal },
      (gate) =>
        deps.core.send({
          requestId: ctx.id,
          path,
          model,
          headers: req.headers,
          body,
          json,
          needs,
          ...pinning,
          signal: controller.signal,
          receivedAt: ctx.startedAt,
          ...(gate ? { gate } : {}),
          ...(bodyFor ? { bodyFor } : {}),
        }),
    );
    for (const name in headers) res.setHeader(name, headers[name]!);
    ctx.notes.engine = exchange.engine.url;
    ctx.notes.retries = exchange.retries;
    try {
      await relay(exchange, res, ctx, controller.signal);
    } finally {
      exchange.release();
    }
  };
}
