import { performance } from 'node:perf_hooks';
import { infoLineWriter, type Logger } from '@vllm-router/common';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import { sessionIdOf } from '../routing/policies/session.js';
import type { PickRequest } from '../routing/policies/policy.js';

/** One routing decision: which engine a request (or a retry of it) goes to. */
export interface RoutingDecision {
  requestId: string;
  engine: EngineEntry;
  request: PickRequest;
  /** The table's session key (header or body field), if one is configured. */
  sessionKey: string | undefined;
  /** performance.now() when the router received the request. */
  receivedAt: number | undefined;
}

/** Wall-clock seconds with microseconds, as Python's time.time() prints. */
const epochSeconds = () => ((performance.timeOrigin + performance.now()) / 1000).toFixed(6);

/**
 * The reference router's routing line, word for word where its e2e tests and users' log queries read
 * it: `Routing request <id> with session id <id|None> to <engine URL> at <epoch s>, process time = <s>`.
 * One line per decision (a failover retry logs another line for the next engine).
 */
export function formatRoutingDecision(d: RoutingDecision, now = performance.now()): { line: string; sessionId: string | undefined } {
  const sessionId = d.sessionKey ? sessionIdOf(d.request, d.sessionKey) : undefined;
  const processSeconds = d.receivedAt === undefined ? 0 : Math.max(0, (now - d.receivedAt) / 1000);
  return {
    sessionId,
    line: `Routing request ${d.requestId} with session id ${sessionId ?? 'None'} to ${d.engine.url} at ${epochSeconds()}, process time = ${processSeconds.toFixed(4)}`,
  };
}

/**
 * Logs each decision at info (nothing is formatted when info is off): the line alone in text
 * logs, as the reference prints it; JSON logs carry the fields as well, for log queries.
 */
export function routingDecisionLogger(logger: Logger, format: 'text' | 'json' = 'text'): (d: RoutingDecision) => void {
  const writeLine = infoLineWriter(logger);
  return (d) => {
    if (!logger.isInfoEnabled()) return;
    const { line, sessionId } = formatRoutingDecision(d);
    if (format === 'text') writeLine(line);
    else logger.info(line, { request_id: d.requestId, ...(sessionId !== undefined ? { session_id: sessionId } : {}), engine: d.engine.url });
  };
}
