import { existsSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors.js';
import { errors, sendJson } from '../http/errors.js';

/** What a preRequest hook sees (JSON endpoints). */
export interface PreRequestContext {
  requestId: string;
  /** The endpoint, e.g. /v1/chat/completions. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; treat it as read-only (return a response, or nothing). */
  body: Readonly<Record<string, unknown>>;
}

/** Returned by preRequest to answer the client without routing (the reference's response override). */
export interface HookResponse {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** What a rewriteRequest hook sees; it returns the body to send on (or nothing to keep it). */
export interface RewriteContext {
  requestId: string;
  path: string;
  /** The model the client asked for. */
  model: string;
  body: Readonly<Record<string, unknown>>;
}

/** What a postRequest hook sees once the answer has been sent. */
export interface PostRequestContext {
  requestId: string;
  path: string;
  model: string;
  /** The engine's URL. */
  engine: string;
  status: number;
  /** The answer as relayed (streams as their SSE text), up to `POST_BODY_LIMIT` bytes. */
  body: Buffer;
  truncated: boolean;
}

export interface RequestHooks {
  preRequest?(ctx: PreRequestContext): HookResponse | undefined | Promise<HookResponse | undefined>;
  rewriteRequest?(ctx: RewriteContext): Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
  postRequest?(ctx: PostRequestContext): void | Promise<void>;
}

/** Bytes of the answer kept for postRequest. */
export const POST_BODY_LIMIT = 1024 * 1024;

const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/**
 * The reference's --callbacks takes `<file without .py>.<instance>` and --request-rewriter a Python
 * class: neither can load here. Said in one line, naming what this router loads instead.
 */
function refusePython(flag: string, spec: string, wanted: string): void {
  const dotted = spec.lastIndexOf('.') > 0 ? `${spec.slice(0, spec.lastIndexOf('.'))}.py` : undefined;
  const python = extname(spec) === '.py' || (!JS_EXTENSIONS.has(extname(spec)) && dotted !== undefined && existsSync(dotted));
  if (python)
    throw new ConfigError(
      flag,
      spec,
      `is a Python module: the reference router loads Python objects, this router (Node.js) loads a JavaScript ES module path exporting ${wanted} (see README, "Request hooks")`,
    );
}

async function importModule(flag: string, spec: string): Promise<Record<string, unknown>> {
  refusePython(flag, spec, flag === '--callbacks' ? 'preRequest and/or postRequest' : 'rewriteRequest');
  const path = resolve(spec);
  if (!existsSync(path)) throw new ConfigError(flag, spec, 'does not exist (give the path of a JavaScript module)');
  try {
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    // `export default { preRequest, ... }` works as well as named exports.
    const fallback = mod.default;
    return typeof fallback === 'object' && fallback !== null ? { ...(fallback as Record<string, unknown>), ...mod } : mod;
  } catch (err) {
    throw new ConfigError(flag, spec, `could not be loaded: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function pick<K extends keyof RequestHooks>(mod: Record<string, unknown>, name: K): RequestHooks[K] | undefined {
  const fn = mod[name];
  return typeof fn === 'function' ? (fn as RequestHooks[K]) : undefined;
}

/** Loads --callbacks and --request-rewriter ('noop' loads nothing). Undefined when neither is set. */
export async function loadRequestHooks(options: { callbacks?: string; requestRewriter: string }): Promise<RequestHooks | undefined> {
  const hooks: RequestHooks = {};
  if (options.callbacks !== undefined) {
    const mod = await importModule('--callbacks', options.callbacks);
    const preRequest = pick(mod, 'preRequest');
    const postRequest = pick(mod, 'postRequest');
    if (!preRequest && !postRequest) throw new ConfigError('--callbacks', options.callbacks, 'exports neither preRequest nor postRequest');
    if (preRequest) hooks.preRequest = preRequest;
    if (postRequest) hooks.postRequest = postRequest;
  }
  if (options.requestRewriter !== 'noop') {
    const mod = await importModule('--request-rewriter', options.requestRewriter);
    const rewriteRequest = pick(mod, 'rewriteRequest');
    if (!rewriteRequest) throw new ConfigError('--request-rewriter', options.requestRewriter, 'does not export rewriteRequest');
    hooks.rewriteRequest = rewriteRequest;
  }
  return Object.keys(hooks).length ? hooks : undefined;
}

/** Collects the relayed answer for postRequest, bounded. */
export class AnswerCollector {
  private readonly parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  add(chunk: Buffer): void {
    if (this.size >= POST_BODY_LIMIT) {
      this.truncated = true;
      return;
    }
    const room = POST_BODY_LIMIT - this.size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.parts.push(part);
    this.size += part.length;
  }

  body(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** How long a hook may take before the request fails (a hook is configuration, not traffic). */
export const HOOK_TIMEOUT_MS = 10_000;

/** Runs one pre-routing hook; a hook that throws or hangs fails the request with 500, never the process. */
export async function runHook<T>(name: string, call: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(call),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${HOOK_TIMEOUT_MS} ms`)), HOOK_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
  } catch (err) {
    throw errors.internal(`The router's ${name} hook failed: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    clearTimeout(timer);
  }
}

/** The answer a preRequest hook gave, as a response to the client. */
export function sendHookResponse(res: ServerResponse, response: HookResponse, requestId: string): void {
  const status = Number.isInteger(response.status) && response.status! >= 200 && response.status! <= 599 ? response.status! : 200;
  const headers: Record<string, string> = { ...(response.headers ?? {}), 'x-request-id': requestId };
  if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) {
    res.writeHead(status, headers);
    res.end(response.body);
  } else sendJson(res, status, response.body ?? null, headers);
}
