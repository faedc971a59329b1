import { ROUTING_LOGICS, type RoutingLogic } from '@vllm-router/common/routing-table';
import { DisaggregatedPolicy } from '../../disagg/disaggregated-policy.js';
import { LeastLoadPolicy } from './leastload.js';
import type { RoutingPolicy } from './policy.js';
import { PrefixAwarePolicy } from './prefix-aware.js';
import { RoundRobinPolicy } from './roundrobin.js';
import { SessionPolicy } from './session.js';

/**
 * Builds the policy a table names. Exhaustive over RoutingLogic: a new name is a compile error here.
 * `kvaware` is served by the prefix-aware scorer, our best load-and-cache policy: it weighs the
 * engines' scraped queue depth and KV-cache use with the cached prefix (see prefix-aware.ts).
 */
export interface PolicyOptions {
  /** Reference --kv-aware-threshold: prompt tokens a kvaware match may leave unmatched (4 characters each). */
  kvAwareThresholdTokens?: number;
}

/** Characters per token for --kv-aware-threshold (the prefix index works on characters). */
const CHARS_PER_TOKEN = 4;

export function createPolicy(name: RoutingLogic, options: PolicyOptions = {}): RoutingPolicy {
  switch (name) {
    case 'roundrobin':
      return new RoundRobinPolicy();
    case 'session':
      return new SessionPolicy();
    case 'leastload':
      return new LeastLoadPolicy();
    case 'prefixaware':
      return new PrefixAwarePolicy(name);
    case 'kvaware':
      return new PrefixAwarePolicy(name, (options.kvAwareThresholdTokens ?? 0) * CHARS_PER_TOKEN);
    case 'disaggregated_prefill':
    case 'disaggregated_prefill_orchestrated':
      return new DisaggregatedPolicy(name);
  }
}

/** Every logic the table may name has a policy in this build. */
export const AVAILABLE_POLICIES: readonly RoutingLogic[] = ROUTING_LOGICS;
