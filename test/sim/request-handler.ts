import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleCompletion } from './completion-handler.js';
import { handleEmbeddings } from './embeddings.js';
import { handleRerank, handleScore } from './scoring.js';
import type { EngineContext } from './engine-context.js';
import { sendError, sendJson, simErrors } from './errors.js';
import type { Exchange } from './exchange.js';
import type { HttpStats } from './http-stats.js';
import { readBody } from './http-body.js';
import { renderMetrics, type MetricsContext } from './metrics.js';
import { modelList } from './models.js';
import { isRecord } from './prompt.js';
import type { Random } from './random.js';

type Json = Record<string, unknown>;

interface Route {
  method: 'GET' | 'POST';
  /** Inference routes parse a JSON body and are subject to failure injection; probes never are. */
  inference: boolean;
  handle(ex: Exchange, body: Json): Promise<void> | void;
}

export interface HandlerDeps {
  engine: EngineContext;
  stats: HttpStats;
  metrics: MetricsContext;
  /** Draws for errorRate. */
  errorRandom: Random;
  /** True while the sim shuts down: connections it destroys then are not client aborts. */
  closing(): boolean;
}

export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { engine, stats } = deps;
  const created = Math.floor(Date.now() / 1000);
  const routes: Record<string, Route> = {
    '/health': {
      method: 'GET',
      inference: false,
      handle: (ex) => {
        if (engine.failure().unhealthy) throw simErrors.unhealthy();
        ex.res.writeHead(200, { 'content-length': 0 }).end();
      },
    },
    '/metrics': {
      method: 'GET',
      inference: false,
      handle: (ex) => {
        ex.res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(deps.metrics));
      },
    },
    '/v1/models': { method: 'GET', inference: false, handle: (ex) => sendJson(ex.res, 200, modelList(engine.models, created)) },
    '/v1/chat/completions': { method: 'POST', inference: true, handle: (ex, body) => handleCompletion('chat', ex, body, engine) },
    '/v1/completions': { method: 'POST', inference: true, handle: (ex, body) => handleCompletion('text', ex, body, engine) },
    '/v1/embeddings': { method: 'POST', inference: true, handle: (ex, body) => handleEmbeddings(ex, body, engine) },
  };
  // The simulated KV connector's side channel between prefill and decode engines.
  routes['/kv/pull'] = { method: 'POST', inference: false, handle: (ex, body) => sendJson(ex.res, 200, engine.kv.handlePull(body)) };
  routes['/kv/lookup'] = { method: 'POST', inference: false, handle: (ex, body) => sendJson(ex.res, 200, engine.kv.handleLookup(body)) };
  // vLLM serves rerank and score under several paths.
  const rerank: Route = { method: 'POST', inference: true, handle: (ex, body) => handleRerank(ex, body, engine) };
  const score: Route = { method: 'POST', inference: true, handle: (ex, body) => handleScore(ex, body, engine) };
  for (const path of ['/v1/rerank', '/rerank', '/v2/rerank']) routes[path] = rerank;
  for (const path of ['/v1/score', '/score']) routes[path] = score;
  // vLLM's sleep mode (served with --enable-sleep-mode in dev mode): the state only, weights stay.
  let sleeping = false;
  const setSleeping = (value: boolean): Route => ({
    method: 'POST',
    inference: false,
    handle: (ex) => {
      sleeping = value;
      ex.res.writeHead(200, { 'content-length': 0 }).end();
    },
  });
  routes['/sleep'] = setSleeping(true);
  routes['/wake_up'] = setSleeping(false);
  routes['/is_sleeping'] = { method: 'GET', inference: false, handle: (ex) => sendJson(ex.res, 200, { is_sleeping: sleeping }) };

  return (req, res) => {
    const controller = new AbortController();
    let cutBySim = false;
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    const ex: Exchange = {
      req,
      res,
      path,
      arrivedAt: performance.now(),
      signal: controller.signal,
      cut: () => {
        if (!cutBySim) stats.injected.resets++;
        cutBySim = true;
        controller.abort();
        res.destroy();
      },
      halt: () => {
        if (!cutBySim) stats.injected.deaths++;
        cutBySim = true;
        controller.abort();
      },
    };
    res.setHeader('x-engine-id', engine.engineId);
    stats.begin(path);
    res.on('close', () => {
      stats.end(!res.writableFinished && !cutBySim && !deps.closing());
      controller.abort();
    });
    serve(ex, routes, deps).catch((err: unknown) => {
      if (!controller.signal.aborted) sendError(res, err);
    });
  };
}

async function serve(ex: Exchange, routes: Record<string, Route>, deps: HandlerDeps): Promise<void> {
  const { req } = ex;
  const raw = await readBody(req);
  const parsed = parseJson(raw);
  deps.stats.record({ method: req.method ?? 'GET', path: ex.path, headers: req.headers, body: 'value' in parsed ? parsed.value : raw });

  const route = routes[ex.path];
  if (!route) throw simErrors.notFound(ex.path);
  if (req.method !== route.method) throw simErrors.methodNotAllowed(req.method ?? '', ex.path);
  if (!route.inference) return route.handle(ex, 'value' in parsed && isRecord(parsed.value) ? parsed.value : {});

  const failure = deps.engine.failure();
  if (failure.resetBeforeResponse) return ex.cut();
  if (failure.hang) {
    deps.stats.injected.hangs++;
    return; // Never answer: the response stays open until the client leaves or the sim closes.
  }
  if (failure.errorRate > 0 && deps.errorRandom() < failure.errorRate) {
    deps.stats.injected.errors++;
    throw simErrors.injected();
  }
  if ('error' in parsed) throw simErrors.badJson(parsed.error);
  if (!isRecord(parsed.value)) throw simErrors.badRequest('The request body must be a JSON object.');
  await route.handle(ex, parsed.value);
}

function parseJson(raw: string): { value: unknown } | { error: string } {
  if (raw.length === 0) return { value: undefined };
  try {
    return { value: JSON.parse(raw) as unknown };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
