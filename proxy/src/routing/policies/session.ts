import type { EngineEntry } from '@vllm-router/common/routing-table';
import { HashRing } from './hash-ring.js';
import { leastInFlight } from './least-in-flight.js';
import type { PickRequest, PolicyContext, RoutingPolicy } from './policy.js';

/** The session id from the header named by the session key, else the same field of the JSON body. */
export function sessionIdOf(request: PickRequest, sessionKey: string): string | undefined {
  const header = request.headers[sessionKey.toLowerCase()];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  const fromBody = request.body?.[sessionKey];
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
  if (typeof fromBody === 'number') return String(fromBody);
  return undefined;
}

/**
 * Session affinity by consistent hashing over the live candidates, so a change in membership moves
 * only the sessions of the engines that came or went. Requests without a session id go to the engine
 * with the fewest in flight, as the reference router does.
 */
export class SessionPolicy implements RoutingPolicy {
  readonly name = 'session' as const;

  pick(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry {
    return this.owner(request, candidates, context) ?? leastInFlight(candidates, context.load);
  }

  /** The session's owner among the candidates; none for a request without a session id. */
  preferredEngine(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry | undefined {
    return this.owner(request, candidates, context);
  }

  /**
   * One ring per model over every engine that serves it, looked up among the candidates: the same
   * owner a ring of the candidates alone gives, without a ring per candidate subset (health and
   * admission limits change the subset all the time, and each ring would live as long as the table).
   */
  private owner(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry | undefined {
    const key = context.snapshot.table.sessionKey;
    const sessionId = key ? sessionIdOf(request, key) : undefined;
    if (sessionId === undefined) return undefined;
    const ring = context.snapshot.memo(`ring:${request.model}`, () => new HashRing(context.snapshot.enginesServing(request.model).map((e) => e.id)));
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const owner = ring.lookupAmong(sessionId, (id) => byId.has(id));
    return (owner === undefined ? undefined : byId.get(owner)) ?? candidates[0];
  }
}
