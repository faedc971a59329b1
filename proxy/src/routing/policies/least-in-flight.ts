import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { LoadTracker } from '../load-tracker.js';

let tieBreaker = 0;

/**
 * The candidate with the fewest requests in flight at this proxy. Ties rotate, so light sequential
 * traffic still spreads instead of always landing on the first engine listed.
 */
export function leastInFlight(candidates: readonly EngineEntry[], load: LoadTracker): EngineEntry {
  let min = Infinity;
  let ties = 0;
  for (const engine of candidates) {
    const n = load.get(engine.id);
    if (n < min) {
      min = n;
      ties = 1;
    } else if (n === min) ties++;
  }
  let pick = tieBreaker++ % ties;
  if (tieBreaker > 1e9) tieBreaker = 0;
  for (const engine of candidates) if (load.get(engine.id) === min && pick-- === 0) return engine;
  return candidates[0]!;
}
