import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { UpstreamPools } from '../../forward/upstream-pools.js';
import type { RoutingCore } from '../../routing/routing-core.js';
import type { SleepState } from '../../routing/sleep-state.js';
import { readBody } from '../body.js';
import { errors, ProxyError, sendJson } from '../errors.js';
import type { RequestContext, Route } from '../route.js';

export interface SleepRouteDeps {
  core: RoutingCore;
  pools: UpstreamPools;
  sleep: SleepState;
  /** VLLM_API_KEY / --backend-api-key: the reference sends it to engines on these calls. */
  backendApiKey?: string;
  /** Largest JSON body accepted for /sleep and /wake_up. */
  maxBodyBytes: number;
}

/** The engine named by `?id=`, as the reference requires for these calls. */
function targetEngine(ctx: RequestContext, core: RoutingCore): EngineEntry {
  const id = ctx.search ? ctx.url.searchParams.get('id') : null;
  if (!id) throw errors.badRequest('Missing target engine: add ?id=<engine id> (see GET /engines).', 'id', 'missing_engine_id');
  const engine = core.snapshot?.engines.get(id);
  if (!engine) throw errors.badRequest(`Engine with id "${id}" not found (see GET /engines).`, 'id', 'engine_not_found');
  return engine;
}

/** The query without `id` (router-only), e.g. /sleep's level and /wake_up's tags. */
function upstreamQuery(ctx: RequestContext): string {
  if (!ctx.search) return '';
  const params = new URLSearchParams(ctx.url.searchParams);
  params.delete('id');
  const q = params.toString();
  return q ? `?${q}` : '';
}

interface EngineAnswer {
  status: number;
  json: unknown;
  text: string;
}

async function callEngine(deps: SleepRouteDeps, engine: EngineEntry, method: 'GET' | 'POST', path: string, ctx: RequestContext, body?: Buffer): Promise<EngineAnswer> {
  const headers: Record<string, string> = { 'x-request-id': ctx.id };
  if (deps.backendApiKey) headers.authorization = `Bearer ${deps.backendApiKey}`;
  if (body && body.length > 0) headers['content-type'] = 'application/json';
  const options: Dispatcher.RequestOptions = { method, path: path + upstreamQuery(ctx), headers, ...(body && body.length > 0 ? { body } : {}) };
  let response: Dispatcher.ResponseData;
  try {
    response = await deps.pools.get(new URL(engine.url).origin).request(options);
  } catch (err) {
    throw new ProxyError(503, 'engine_unreachable', `Engine ${engine.id} could not be reached for ${path}.`, 'service_unavailable_error', null, { cause: err });
  }
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, json, text };
}

async function readJsonBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const raw = await readBody(req, limit);
  if (raw.length > 0) {
    try {
      JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw errors.badJson(err instanceof Error ? err.message : String(err));
    }
  }
  return raw;
}

/** An engine that refused passes its status and body on; a success becomes the reference's answer. */
function engineFailure(answer: EngineAnswer, what: string, engine: EngineEntry): ProxyError {
  return new ProxyError(answer.status >= 400 ? answer.status : 502, 'engine_error', `Engine ${engine.id} answered ${answer.status} to ${what}: ${answer.text.slice(0, 500)}`);
}

/** POST /sleep, POST /wake_up and GET /is_sleeping, each for one engine named by `?id=`. */
export function sleepRoutes(deps: SleepRouteDeps): Route[] {
  const change = (path: '/sleep' | '/wake_up', sleeping: boolean): Route => ({
    method: 'POST',
    path,
    handler: async (req, res, ctx) => {
      const engine = targetEngine(ctx, deps.core);
      const body = await readJsonBody(req, deps.maxBodyBytes);
      const answer = await callEngine(deps, engine, 'POST', path, ctx, body);
      if (answer.status >= 300) throw engineFailure(answer, path, engine);
      deps.sleep.set(engine.id, sleeping);
      sendJson(res, answer.status, { status: 'success' });
    },
  });
  return [
    change('/sleep', true),
    change('/wake_up', false),
    {
      method: 'GET',
      path: '/is_sleeping',
      handler: async (_req, res, ctx) => {
        const engine = targetEngine(ctx, deps.core);
        const answer = await callEngine(deps, engine, 'GET', '/is_sleeping', ctx);
        if (answer.status >= 300) throw engineFailure(answer, '/is_sleeping', engine);
        const state = answer.json as { is_sleeping?: unknown } | undefined;
        // The engine knows best: a restart wakes it, a sleep by another client puts it to sleep.
        if (typeof state?.is_sleeping === 'boolean') deps.sleep.set(engine.id, state.is_sleeping);
        sendJson(res, 200, answer.json ?? {});
      },
    },
  ];
}
