import type { Condition, ConditionStatus } from '../api/types.js';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * A condition stamped with the generation it describes. lastTransitionTime moves only when the
 * status flips, so `kubectl describe` shows how long a router has been (not) Ready.
 */
export function stampCondition(input: ConditionInput, previous: readonly Condition[] | undefined, generation: number | undefined, now: string): Condition {
  const before = previous?.find((c) => c.type === input.type);
  return {
    ...input,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: before && before.status === input.status ? before.lastTransitionTime : now,
  };
}

export const conditionOf = (conditions: readonly Condition[] | undefined, type: string): Condition | undefined => conditions?.find((c) => c.type === type);
