import type { EngineEntry } from '@vllm-router/common/routing-table';

/**
 * What admission control hands the routing core with a request it let through: which engines have
 * room for it now, and a slot on the engine the core actually uses. The core asks `admits` when it
 * filters candidates (before the policy picks) and calls `acquire` once per engine it sends to
 * (failover and migration acquire again on the next engine); it calls the returned release exactly
 * once when that engine's exchange ends.
 */
export interface EngineGate {
  admits(engine: EngineEntry): boolean;
  acquire(engine: EngineEntry): () => void;
}
