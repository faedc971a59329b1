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
    const key = context.snapshot.table.sessionKey;
    const sessionId = key ? sessionIdOf(request, key) : undefined;
    if (sessionId === undefined) return leastInFlight(candidates, context.load);
    const ids = candidates.map((c) => c.id);
    const ring = context.snapshot.memo(`ring:${ids.join('\n')}`, () => new HashRing(ids));
    const owner = ring.lookup(sessionId);
    return candidates.find((c) => c.id === owner) ?? candidates[0]!;
  }
}
