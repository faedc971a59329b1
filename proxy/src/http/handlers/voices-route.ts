import { readBody } from '../body.js';
import { errors } from '../errors.js';
import type { Route } from '../route.js';
import type { ModelRouteDeps } from './model-route.js';
import { relay } from './model-route.js';

const VOICES = '/v1/audio/voices';

/** The model a GET names: `?model=` (the usual form), or a JSON body as the reference reads it. */
function requestedModel(query: URLSearchParams | undefined, body: Buffer): unknown {
  const fromQuery = query?.get('model');
  if (fromQuery) return fromQuery;
  if (body.length === 0) return undefined;
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { model?: unknown }).model : undefined;
  } catch {
    throw errors.badJson('the body of GET /v1/audio/voices, when given, must be a JSON object naming the model');
  }
}

/** GET /v1/audio/voices: routed by model like the other audio endpoints, forwarded as a GET. */
export function voicesRoute(deps: Pick<ModelRouteDeps, 'core' | 'metrics' | 'maxBodyBytes'>): Route {
  return {
    method: 'GET',
    path: VOICES,
    handler: async (req, res, ctx) => {
      const body = await readBody(req, deps.maxBodyBytes);
      const name = requestedModel(ctx.search ? ctx.url.searchParams : undefined, body);
      if (typeof name !== 'string' || name === '') throw errors.missingModel();
      ctx.notes.requestedModel = name;
      const { model } = deps.core.resolveModel(name);
      deps.metrics.incoming(name).inc();
      ctx.notes.model = model;
      const controller = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      // The engine gets the real model name in the query when the client used an alias.
      const query = new URLSearchParams(ctx.search);
      if (query.has('model')) query.set('model', model);
      const q = query.toString();
      const exchange = await deps.core.send({
        requestId: ctx.id,
        method: 'GET',
        path: q ? `${VOICES}?${q}` : VOICES,
        model,
        headers: req.headers,
        body: Buffer.alloc(0),
        json: undefined,
        needs: ['audio'],
        signal: controller.signal,
        receivedAt: ctx.startedAt,
      });
      ctx.notes.engine = exchange.engine.url;
      try {
        await relay(exchange, res, ctx, controller.signal);
      } finally {
        exchange.release();
      }
    },
  };
}
