import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the server knows about a request before any handler runs. */
export interface RequestContext {
  /** X-Request-Id from the client, or generated; echoed on the response. */
  id: string;
  /** The request path, without the query string (cheap: no URL parsing on the hot path). */
  path: string;
  /** The query string with its leading `?`, or ''. */
  search: string;
  /** The parsed URL, built on first use. */
  readonly url: URL;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** What the handler learned, for the access log line and latency metrics. */
  notes: AccessNotes;
}

export interface AccessNotes {
  /** The model the router resolved the request to (labels metrics: bounded by the table). */
  model?: string;
  /** The name the client sent, for the log when it could not be resolved. */
  requestedModel?: string;
  /** The request named no model and the router used the one model it routes. */
  modelDefaulted?: boolean;
  engine?: string;
  /** Disaggregated prefill: the engine that computed the prompt (`engine` is the decode engine). */
  prefillEngine?: string;
  streamed?: boolean;
  retries?: number;
  /** Stable error code when the request failed. */
  errorCode?: string;
  /** The error the request failed with (for tracing backends). */
  failure?: unknown;
  /** Each move of the request to another engine after its engine failed or was drained (request migration). */
  migrations?: MigrationNote[];
  /** Why a broken answer was not moved to another engine (`tool_calls`, `n`, `exhausted`, ...). */
  notMigrated?: string;
}

export interface MigrationNote {
  /** URL of the engine that failed. */
  from: string;
  /** URL of the engine that took over. */
  to: string;
  reason: string;
}

/** A handler owns the response: it must end it or throw (the server turns a throw into an OpenAI error). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => Promise<void>;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** Exact path, or a prefix ending in `/*` (the rest is in ctx.url.pathname). */
  path: string;
  handler: RouteHandler;
}

/** A request sent through the routing core by the router itself (batch lines), not by an HTTP client. */
export interface InternalRequest {
  /** OpenAI path, e.g. `/v1/chat/completions`. */
  path: string;
  body: Record<string, unknown>;
  requestId: string;
  signal?: AbortSignal;
}

export interface InternalResponse {
  status: number;
  /** Parsed JSON when the engine answered JSON, else the raw text. */
  body: unknown;
}

/** The routing core, as the batch runner sees it. */
export interface InternalDispatcher {
  dispatch(request: InternalRequest): Promise<InternalResponse>;
  /** True when engines for this model are saturated, so background work should wait. */
  isBusy(model: string): boolean;
  /** Models that can be routed now (aliases included), for validating batch lines. */
  knownModels(): Set<string>;
}
