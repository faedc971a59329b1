import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { PickRequest, PolicyContext, RoutingPolicy } from './policy.js';

/**
 * Weights of the scraped signals, in units of one request in flight at this proxy. A request queued
 * at the engine counts half (this proxy's own in-flight requests are part of that queue already);
 * a full KV cache counts as two more requests (the engine is about to queue or preempt).
 */
export const QUEUE_WEIGHT = 0.5;
export const KV_WEIGHT = 2;

/** An engine's load: in flight at this proxy, plus its queue depth and KV use when fresh metrics say so. */
export function engineLoad(engine: EngineEntry, context: PolicyContext): number {
  const inFlight = context.load.get(engine.id);
  const s = context.signals?.signals(engine.id);
  return s ? inFlight + QUEUE_WEIGHT * s.waiting + KV_WEIGHT * s.kvUsage : inFlight;
}

/**
 * Where ties between equally loaded engines rotate from. A choice made for every request keeps its
 * own: two choices sharing one counter (a prefill and a decode pick per request) would each see
 * every other value and always land on the same engines.
 */
export class TieRotation {
  private n = 0;

  next(): number {
    const value = this.n++;
    if (this.n > 1e9) this.n = 0;
    return value;
  }
}

const sharedRotation = new TieRotation();

/** The least-loaded of `candidates` given their `loads`; ties rotate so light traffic still spreads. */
export function leastLoadedOf<T>(candidates: readonly T[], loads: readonly number[], rotation: TieRotation = sharedRotation): T {
  let min = Infinity;
  let ties = 0;
  for (const l of loads) {
    if (l < min) {
      min = l;
      ties = 1;
    } else if (l === min) ties++;
  }
  let pick = rotation.next() % ties;
  for (let i = 0; i < candidates.length; i++) if (loads[i] === min && pick-- === 0) return candidates[i]!;
  return candidates[0]!;
}

/** `leastload`: the engine with the least load (see engineLoad). */
export class LeastLoadPolicy implements RoutingPolicy {
  readonly name = 'leastload' as const;

  pick(_request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry {
    return leastLoadedOf(candidates, candidates.map((e) => engineLoad(e, context)));
  }
}
