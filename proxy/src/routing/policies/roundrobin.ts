import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { PickRequest, RoutingPolicy } from './policy.js';

/** Each model's candidates in turn. The counter is per model so one busy model can't skew another. */
export class RoundRobinPolicy implements RoutingPolicy {
  readonly name = 'roundrobin' as const;
  private readonly next = new Map<string, number>();

  pick(request: PickRequest, candidates: readonly EngineEntry[]): EngineEntry {
    const turn = this.next.get(request.model) ?? 0;
    this.next.set(request.model, (turn + 1) % 1_000_000_007);
    return candidates[turn % candidates.length]!;
  }
}
