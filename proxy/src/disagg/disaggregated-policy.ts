import type { DisaggregatedLogic, EngineEntry } from '@vllm-router/common/routing-table';
import type { PickRequest, PolicyContext, RequestOutcome, RoutingPolicy } from '../routing/policies/policy.js';
import { engineLoad, leastLoadedOf, TieRotation } from '../routing/policies/leastload.js';
import { PrefixAwarePolicy } from '../routing/policies/prefix-aware.js';
import type { RoutedRequest, RoutingCore, UpstreamExchange } from '../routing/routing-core.js';
import { PdFlow, type LegPicks } from './pd-flow.js';
import { PdMetrics } from './pd-metrics.js';
import { DISAGGREGATED_PATHS } from './pd-requests.js';

/**
 * `disaggregated_prefill` and `disaggregated_prefill_orchestrated`: chat and completion requests
 * are split into a prefill leg and a decode leg (see PdFlow). Prefill engines are balanced by
 * prefix-cache affinity and load (they hold the prompt's KV cache, like any vLLM with prefix
 * caching), decode engines by load (in flight here, queue depth and KV-cache use): the X prefill
 * and Y decode engines independently. Requests the split does not apply to (other endpoints, a
 * `?id=` pin) go to the least loaded engine of the model, whatever its role.
 */
export class DisaggregatedPolicy implements RoutingPolicy, LegPicks {
  private readonly prefillAffinity = new PrefixAwarePolicy();
  private readonly decodeTies = new TieRotation();
  private readonly otherTies = new TieRotation();
  private readonly flow: PdFlow;
  private metrics: PdMetrics | undefined;

  constructor(readonly name: DisaggregatedLogic) {
    this.flow = new PdFlow(name, this);
  }

  pick(_request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry {
    return leastLoadedOf(candidates, candidates.map((e) => engineLoad(e, context)), this.otherTies);
  }

  pickPrefill(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry {
    return this.prefillAffinity.pick(request, candidates, context);
  }

  pickDecode(_request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry {
    return leastLoadedOf(candidates, candidates.map((e) => engineLoad(e, context)), this.decodeTies);
  }

  orchestrate(request: RoutedRequest, core: RoutingCore): Promise<UpstreamExchange> | undefined {
    if (request.pinnedEngineId !== undefined || !DISAGGREGATED_PATHS.has(pathOnly(request.path))) return undefined;
    this.metrics ??= PdMetrics.for(core.metrics.registry);
    return this.flow.start(request, core);
  }

  onRequestEnd(request: PickRequest, engine: EngineEntry, outcome: RequestOutcome): void {
    this.prefillAffinity.onRequestEnd(request, engine, outcome);
  }

  retainEngines(engineIds: ReadonlySet<string>): void {
    this.prefillAffinity.retainEngines(engineIds);
    this.metrics?.retain(engineIds);
  }
}

function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}
