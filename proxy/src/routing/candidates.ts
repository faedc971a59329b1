import type { EngineEntry } from '@vllm-router/common/routing-table';
import { errors, type ProxyError } from '../http/errors.js';
import { BACKEND_DISPLAY_NAMES, supports, type Capability } from './endpoints.js';
import type { HealthView } from './health-view.js';
import type { RoutingSnapshot } from './snapshot.js';

export type CandidateResult = { ok: true; engines: EngineEntry[] } | { ok: false; error: ProxyError };

/**
 * The engines a request may go to: serving the model, ready, healthy, and of a backend kind that
 * supports what the request needs. The one filter every policy relies on.
 */
export function findCandidates(
  snapshot: RoutingSnapshot,
  model: string,
  needs: readonly Capability[],
  health: HealthView,
  exclude: ReadonlySet<string>,
): CandidateResult {
  const serving = snapshot.enginesServing(model);
  let live = serving.filter((e) => e.ready && health.isHealthy(e.id, model) && !exclude.has(e.id));
  // Every engine of the model ejected by outlier detection: use them anyway (panic mode, see HealthView).
  const unlessEjected = health.isHealthyUnlessEjected?.bind(health);
  if (live.length === 0 && unlessEjected) live = serving.filter((e) => e.ready && unlessEjected(e.id, model) && !exclude.has(e.id));
  const capable = live.filter((e) => supports(e.backendKind, needs));
  if (capable.length > 0) return { ok: true, engines: capable };
  if (live.length > 0) {
    const kinds = [...new Set(live.map((e) => BACKEND_DISPLAY_NAMES[e.backendKind]))].join(', ');
    return { ok: false, error: errors.notImplemented(`The engines serving "${model}" (${kinds}) do not support ${needs.join(' + ')}.`) };
  }
  return { ok: false, error: errors.noEngine(model) };
}
