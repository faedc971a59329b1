import { sendJson, errors } from '../http/errors.js';
import type { Route } from '../http/route.js';
import { listBody, parseAfter, parseLimit, pathSegments } from '../files/query.js';
import { readJsonBody } from './json-body.js';
import { isBatchId } from './model.js';
import type { BatchService } from './service.js';

export interface BatchRoutesDeps {
  service: BatchService;
}

const BATCHES = '/v1/batches';

/** POST/GET /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel, and DELETE /v1/batches/{id} (the reference's cancel). */
export function batchRoutes(deps: BatchRoutesDeps): Route[] {
  const { service } = deps;
  return [
    {
      method: 'POST',
      path: BATCHES,
      handler: async (req, res) => {
        sendJson(res, 200, await service.create(await readJsonBody(req)));
      },
    },
    {
      method: 'GET',
      path: BATCHES,
      handler: async (_req, res, ctx) => {
        const q = ctx.url.searchParams;
        const after = parseAfter(q, isBatchId);
        const page = await service.list({ limit: parseLimit(q, 20, 100), ...(after === undefined ? {} : { after }) });
        sendJson(res, 200, listBody(page.data, page.has_more));
      },
    },
    {
      method: 'GET',
      path: `${BATCHES}/*`,
      handler: async (_req, res, ctx) => {
        const [id = '', ...rest] = pathSegments(ctx.url.pathname, `${BATCHES}/`);
        if (rest.length > 0) throw errors.notFound(`Unknown path ${ctx.url.pathname}`);
        sendJson(res, 200, await service.get(id));
      },
    },
    {
      method: 'POST',
      path: `${BATCHES}/*`,
      handler: async (req, res, ctx) => {
        const [id = '', action, ...rest] = pathSegments(ctx.url.pathname, `${BATCHES}/`);
        if (action !== 'cancel' || rest.length > 0) throw errors.notFound(`Unknown path ${ctx.url.pathname}`);
        req.resume(); // the cancel call has no body worth reading
        sendJson(res, 200, await service.cancel(id));
      },
    },
    {
      method: 'DELETE',
      path: `${BATCHES}/*`,
      handler: async (req, res, ctx) => {
        const [id = '', ...rest] = pathSegments(ctx.url.pathname, `${BATCHES}/`);
        if (rest.length > 0) throw errors.notFound(`Unknown path ${ctx.url.pathname}`);
        req.resume();
        sendJson(res, 200, await service.cancel(id));
      },
    },
  ];
}
