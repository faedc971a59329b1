import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdmissionController } from '../../admission/index.js';
import type { ProxyMetrics } from '../../metrics/proxy-metrics.js';
import { clientResponseHeaders } from '../../forward/headers.js';
import { requiredCapabilities, type ModelEndpoint } from '../../routing/endpoints.js';
import type { RoutedRequest, RoutingCore, UpstreamExchange } from '../../routing/routing-core.js';
import type { RequestMigrator } from '../../migration/request-migrator.js';
import { parseJsonObject, readBody } from '../body.js';
import { errors, ProxyError } from '../errors.js';
import { readMultipartField, replaceMultipartField } from '../multipart-model.js';
import type { RequestContext, RouteHandler } from '../route.js';
import type { Logger } from '@vllm-router/common';
import type { RequestTelemetry } from '../../telemetry/request-span.js';
import { AnswerCollector, runHook, sendHookResponse, type HookResponse, type RequestHooks } from '../../hooks/request-hooks.js';

export interface ModelRouteDeps {
  core: RoutingCore;
  admission: AdmissionController;
  metrics: ProxyMetrics;
  maxBodyBytes: number;
  /** Request migration for chat and completions (proxy/src/migration); absent or covering nothing when off. */
  migration?: RequestMigrator;
  /** --callbacks / --request-rewriter (JSON endpoints). */
  hooks?: RequestHooks;
  /** Where postRequest hook failures are reported. */
  logger?: Logger;
  /** OpenTelemetry / Sentry tracing, when configured. */
  telemetry?: RequestTelemetry;
}

/** Reads the body, finds and resolves the model, and rewrites an alias to the real model name. */
async function readRoutedBody(req: IncomingMessage, endpoint: ModelEndpoint, deps: ModelRouteDeps, ctx: RequestContext) {
  let raw = await readBody(req, deps.maxBodyBytes);
  const contentType = req.headers['content-type'];
  let json = endpoint.body === 'json' ? parseJsonObject(raw) : undefined;
  const hooks = deps.hooks;
  if (json && hooks?.preRequest) {
    const body = json;
    const answer = await runHook('preRequest', () => hooks.preRequest!({ requestId: ctx.id, path: endpoint.path, headers: req.headers, body }));
    if (answer) return { answer };
  }
  if (json && hooks?.rewriteRequest && typeof json.model === 'string') {
    const body = json;
    const model = json.model;
    const rewritten = await runHook('rewriteRequest', () => hooks.rewriteRequest!({ requestId: ctx.id, path: endpoint.path, model, body }));
    if (rewritten !== undefined) {
      if (typeof rewritten !== 'object' || rewritten === null || Array.isArray(rewritten)) throw errors.internal('The router\'s rewriteRequest hook returned something other than a JSON object.');
      json = rewritten;
      raw = Buffer.from(JSON.stringify(rewritten));
    }
  }
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
  if (!json) checkMultipartNumber(raw, contentType, 'temperature');
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

/** A form field the engine parses as a number (transcription temperature): 400 here, as the reference answers. */
function checkMultipartNumber(raw: Buffer, contentType: string | undefined, field: string): void {
  const value = readMultipartField(raw, contentType, field);
  if (value !== undefined && (value.trim() === '' || !Number.isFinite(Number(value))))
    throw errors.badRequest(`The form field "${field}" must be a number; got ${JSON.stringify(value.slice(0, 40))}.`, field, 'invalid_number');
}

/**
 * Streams the engine's answer to the client as it arrives: no buffering, backpressure respected
 * (a full client socket pauses the engine's connection until it drains). An engine that streams
 * without a Content-Type is relayed as text/event-stream, as the reference does.
 */
export function relay(exchange: UpstreamExchange, res: ServerResponse, ctx: RequestContext, signal: AbortSignal, streamRequested = false): Promise<void> {
  const { body, trace } = exchange;
  const headers = clientResponseHeaders(exchange.headers, ctx.id);
  if (streamRequested && exchange.headers['content-type'] === undefined) headers['content-type'] = 'text/event-stream';
  res.writeHead(exchange.statusCode, headers);
  const contentType = headers['content-type'];
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

/**
 * Multipart endpoints (audio, image edits) answer 503 when no engine can be reached, as the
 * reference does for them; JSON endpoints keep 502.
 */
async function sendRouted(deps: ModelRouteDeps, endpoint: ModelEndpoint, request: RoutedRequest): Promise<UpstreamExchange> {
  try {
    return await deps.core.send(request);
  } catch (err) {
    if (endpoint.body === 'multipart' && err instanceof ProxyError && err.code === 'upstream_error')
      throw new ProxyError(503, 'engine_unreachable', err.message, 'service_unavailable_error', null, { cause: err });
    throw err;
  }
}

/** Copies what is written to the client into a collector (for the postRequest hook). */
function collectResponse(res: ServerResponse): AnswerCollector {
  const collector = new AnswerCollector();
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown) => {
    if (typeof chunk === 'string') collector.add(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) collector.add(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (args.length > 0 && typeof args[0] !== 'function') keep(args[0]);
    return end(...args);
  }) as ServerResponse['end'];
  return collector;
}

/** postRequest runs after the answer is sent (the reference runs it as a background task); failures are logged. */
function runPostRequest(deps: ModelRouteDeps, context: Parameters<NonNullable<RequestHooks['postRequest']>>[0]): void {
  void runHook('postRequest', () => deps.hooks!.postRequest!(context)).catch((err: unknown) =>
    deps.logger?.warn('postRequest hook failed', { id: context.requestId, error: err instanceof Error ? err.message : String(err) }),
  );
}

/** POST handler for one model-bearing endpoint (chat, completions, embeddings, ...). */
export function modelRoute(endpoint: ModelEndpoint, deps: ModelRouteDeps): RouteHandler {
  return async (req, res, ctx) => {
    const read = await readRoutedBody(req, endpoint, deps, ctx);
    if ('answer' in read) return sendHookResponse(res, read.answer as HookResponse, ctx.id);
    const { body, json, model } = read;
    const controller = new AbortController();
    const span = deps.telemetry?.startRequest({ method: req.method ?? 'POST', path: endpoint.path, headers: req.headers, requestId: ctx.id, model });
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
      span?.end(res.writableFinished ? res.statusCode : 499, ctx.notes.failure);
    });
    const pinned = ctx.search ? (ctx.url.searchParams.get('id') ?? undefined) : undefined;
    const identity = deps.admission.identify(req.headers, json, body.length);
    const needs = requiredCapabilities(endpoint, json);
    const routed: RoutedRequest = {
      requestId: ctx.id,
      // The engine sees the endpoint's own path: any --root-path prefix is the router's, not the engine's.
      path: endpoint.path + ctx.search,
      model,
      headers: req.headers,
      body,
      json,
      needs,
      ...(pinned !== undefined ? { pinnedEngineId: pinned } : {}),
      signal: controller.signal,
      receivedAt: ctx.startedAt,
      ...(span ? { span } : {}),
      ...(json ? { priority: identity.priority } : {}),
    };
    // Admission control decides when the request may go to an engine (and which have room); the
    // gate it hands over stays on the request, so a migrated request takes a slot where it moves.
    const admitted = async (send: (request: RoutedRequest) => Promise<UpstreamExchange>): Promise<UpstreamExchange> => {
      const pick = { model, path: routed.path, headers: req.headers, body: json };
      const { exchange, headers } = await deps.admission.send(
        { model, needs, ...(pinned !== undefined ? { pinnedEngineId: pinned } : {}), pick, trafficClass: 'interactive', ...identity, signal: controller.signal },
        (gate) => {
          if (gate) routed.gate = gate;
          return send(routed);
        },
      );
      for (const name in headers) res.setHeader(name, headers[name]!);
      return exchange;
    };
    // postRequest sees the bytes the client got, whichever path wrote them (the relay or migration).
    const collector = deps.hooks?.postRequest ? collectResponse(res) : undefined;
    const streamRequested = json?.stream === true;
    if (deps.migration?.covers(endpoint, routed)) {
      await deps.migration.forward(routed, res, ctx, (exchange, out, c, signal) => relay(exchange, out, c, signal, streamRequested), admitted);
    } else {
      const exchange = await admitted((r) => sendRouted(deps, endpoint, r));
      ctx.notes.engine = exchange.engine.url;
      if (exchange.prefill) ctx.notes.prefillEngine = exchange.prefill.engine.url;
      ctx.notes.retries = exchange.retries;
      try {
        await relay(exchange, res, ctx, controller.signal, streamRequested);
      } finally {
        exchange.release();
      }
    }
    if (collector) runPostRequest(deps, { requestId: ctx.id, path: endpoint.path, model, engine: ctx.notes.engine ?? '', status: res.statusCode, body: collector.body(), truncated: collector.truncated });
  };
}
