import type { IncomingHttpHeaders } from 'node:http';
import type { EngineEntry } from '@vllm-router/common/routing-table';

/** What the routing decision span records. */
export interface RoutingDecisionInfo {
  model: string;
  engine: EngineEntry;
  /** The routing logic's name (roundrobin, session, prefixaware, ...). */
  logic: string;
  /** What the policy based its choice on (e.g. prefix_match_chars for prefix-aware routing). */
  detail?: Readonly<Record<string, number | string>>;
}

/** One attempt to call an engine: headers to send with it (trace context), then its end. */
export interface EngineCallSpan {
  headers: Readonly<Record<string, string>>;
  /** The engine answered with `status`. */
  responded(status: number): void;
  /** The attempt is over: the body ended, or the call failed (`error`). */
  end(error?: unknown): void;
}

/** One routed request as tracers see it: the request, each routing decision, each engine call. */
export interface RequestSpan {
  routed(info: RoutingDecisionInfo): void;
  engineCall(engine: EngineEntry, method: string, path: string): EngineCallSpan;
  /** The response is over with `status` (499: the client left); `error` when the router failed it. */
  end(status: number, error?: unknown): void;
}

/** Starts the span of a request arriving at the router (tracing backends: OpenTelemetry, Sentry). */
export interface RequestTelemetry {
  startRequest(request: { method: string; path: string; headers: IncomingHttpHeaders; requestId: string; model: string }): RequestSpan;
  /** Flush what is buffered and stop; bounded by `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Several tracing backends as one; with none configured, the router passes no telemetry at all. */
export function combineTelemetry(parts: readonly RequestTelemetry[]): RequestTelemetry | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return {
    startRequest: (request) => {
      const spans = parts.map((p) => p.startRequest(request));
      return {
        routed: (info) => spans.forEach((s) => s.routed(info)),
        engineCall: (engine, method, path) => {
          const calls = spans.map((s) => s.engineCall(engine, method, path));
          return {
            headers: Object.assign({}, ...calls.map((c) => c.headers)) as Record<string, string>,
            responded: (status) => calls.forEach((c) => c.responded(status)),
            end: (error) => calls.forEach((c) => c.end(error)),
          };
        },
        end: (status, error) => spans.forEach((s) => s.end(status, error)),
      };
    },
    shutdown: async (timeoutMs) => {
      await Promise.all(parts.map((p) => p.shutdown(timeoutMs)));
    },
  };
}
