import type { EngineEntry } from '../../routing-table/index.js';
import type { LoadTracker } from '../load-tracker.js';

/** The candidate with the fewest requests in flight at this proxy; ties go to the earliest listed. */
export function leastInFlight(candidates: readonly EngineEntry[], load: LoadTracker): EngineEntry {
  let best = candidates[0]!;
  let bestLoad = load.get(best.id);
  for (let i = 1; i < candidates.length; i++) {
    const engine = candidates[i]!;
    const n = load.get(engine.id);
    if (n < bestLoad) {
      best = engine;
      bestLoad = n;
    }
  }
  return best;
}
