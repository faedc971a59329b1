import type { V1Deployment } from '@kubernetes/client-node';
import { formatIssues, isDisaggregated, type EngineRole } from '@vllm-router/common/routing-table';
import type { Condition, VLLMRouter, VLLMRouterStatus } from '../api/types.js';
import { stampCondition, type ConditionInput } from './conditions.js';
import type { EngineObservation } from './engines.js';
import { childNames } from './owner.js';
import { CONDITION, REASON } from './reasons.js';
import type { TableResult } from './routing-table.js';
import type { ResolvedSpec } from './spec-defaults.js';

export interface StatusInput {
  router: VLLMRouter;
  spec: ResolvedSpec;
  engines: readonly EngineObservation[];
  table: TableResult;
  /** The proxy Deployment as last observed (its status says how many replicas are ready). */
  deployment?: V1Deployment;
  /** Revision of the table the ConfigMap holds when this one is refused (the last good one). */
  publishedRevision?: string;
  now: string;
}

const SUMMARY_MAX = 60;

/** Models, comma-separated, shortened to fit a kubectl column. */
export function summarizeModels(models: readonly string[]): string {
  let text = '';
  for (let i = 0; i < models.length; i++) {
    const next = text ? `${text},${models[i]}` : (models[i] as string);
    const more = models.length - i - 1;
    if (next.length > SUMMARY_MAX && text) return `${text} +${models.length - i} more`;
    text = next;
    if (more === 0) return text;
  }
  return text;
}

/** Ready and total engines of a role: "ready/total". */
function roleCount(engines: readonly EngineObservation[], role: EngineRole): string {
  const of = engines.filter((e) => e.endpoint.role === role);
  return `${of.filter((e) => e.endpoint.ready).length}/${of.length}`;
}

function enginesCondition(spec: ResolvedSpec, engines: readonly EngineObservation[], ready: number): ConditionInput {
  const total = engines.length;
  if (total === 0) return { type: CONDITION.enginesAvailable, status: 'False', reason: REASON.noEngines, message: 'no pods match engines.selector and there are no static backends' };
  if (ready === 0) {
    const why = engines.slice(0, 5).map((e) => `${e.endpoint.pod ?? e.endpoint.url}: ${e.endpoint.reason ?? 'not ready'}`).join('; ');
    return { type: CONDITION.enginesAvailable, status: 'False', reason: REASON.noReadyEngines, message: `none of ${total} engines is ready (${why})` };
  }
  // The disaggregated logics answer 503 without a ready engine of each role.
  if (isDisaggregated(spec.routing.logic))
    for (const role of ['prefill', 'decode'] as const)
      if (!engines.some((e) => e.endpoint.role === role && e.endpoint.ready)) {
        const label = spec.engines ? `pods labelled ${spec.engines.roles.label} in (${spec.engines.roles[role].join(', ')})` : `static backends with role ${role}`;
        return {
          type: CONDITION.enginesAvailable,
          status: 'False',
          reason: role === 'prefill' ? REASON.noPrefillEngines : REASON.noDecodeEngines,
          message: `routing logic ${spec.routing.logic} needs a ready ${role} engine: ${roleCount(engines, role)} ready (${label})`,
        };
      }
  return { type: CONDITION.enginesAvailable, status: 'True', reason: REASON.enginesReady, message: `${ready} of ${total} engines ready` };
}

function proxyCondition(spec: ResolvedSpec, deployment: V1Deployment | undefined): ConditionInput {
  const type = CONDITION.proxyAvailable;
  if (spec.proxy.replicas === 0) return { type, status: 'False', reason: REASON.proxyScaledToZero, message: 'spec.proxy.replicas is 0' };
  if (!deployment) return { type, status: 'Unknown', reason: REASON.proxyPending, message: 'the proxy Deployment has not been observed yet' };
  const ready = deployment.status?.readyReplicas ?? 0;
  const want = deployment.spec?.replicas ?? spec.proxy.replicas;
  if (ready === 0) return { type, status: 'False', reason: REASON.proxyUnavailable, message: `0 of ${want} proxy replicas ready` };
  return { type, status: 'True', reason: REASON.proxyReady, message: `${ready} of ${want} proxy replicas ready` };
}

function configCondition(table: TableResult): ConditionInput {
  if (table.ok) return { type: CONDITION.configValid, status: 'True', reason: REASON.tableValid, message: `routing table revision ${table.table.revision}` };
  return {
    type: CONDITION.configValid,
    status: 'False',
    reason: REASON.invalidTable,
    message: `routing table refused, the last good one stays published: ${formatIssues(table.issues)}`,
  };
}

/** Ready is True when the other three are; otherwise it carries the first failing one's reason. */
function readyCondition(parts: readonly ConditionInput[]): ConditionInput {
  const failing = parts.filter((c) => c.status !== 'True');
  if (failing.length === 0) return { type: CONDITION.ready, status: 'True', reason: REASON.ready, message: 'engines, routing table and proxy are available' };
  const first = failing[0] as ConditionInput;
  return {
    type: CONDITION.ready,
    status: failing.some((c) => c.status === 'False') ? 'False' : 'Unknown',
    reason: first.reason,
    message: failing.map((c) => `${c.type}: ${c.message}`).join('; '),
  };
}

export function buildStatus(input: StatusInput): VLLMRouterStatus {
  const { router, spec, engines, table } = input;
  const name = router.metadata.name ?? '';
  const namespace = router.metadata.namespace ?? '';
  const generation = router.metadata.generation;
  const ready = engines.filter((e) => e.endpoint.ready);
  const models = [...new Set(ready.flatMap((e) => e.endpoint.models))].sort();
  const parts = [configCondition(table), enginesCondition(spec, engines, ready.length), proxyCondition(spec, input.deployment)];
  const roles = isDisaggregated(spec.routing.logic) || engines.some((e) => e.endpoint.role) ? { prefillEngines: roleCount(engines, 'prefill'), decodeEngines: roleCount(engines, 'decode') } : {};
  const previous = router.status?.conditions;
  const conditions: Condition[] = [readyCondition(parts), ...parts].map((c) => stampCondition(c, previous, generation, input.now));
  const revision = table.ok ? table.table.revision : input.publishedRevision;
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions,
    readyEngines: ready.length,
    totalEngines: engines.length,
    engines: `${ready.length}/${engines.length}`,
    ...roles,
    models,
    modelsSummary: summarizeModels(models),
    endpoints: engines.map((e) => e.endpoint),
    proxyReadyReplicas: input.deployment?.status?.readyReplicas ?? 0,
    url: `http://${childNames(name).service}.${namespace}.svc:${spec.proxy.service.port}/v1`,
    routingConfigMap: childNames(name).configMap,
    ...(revision ? { routingRevision: revision } : {}),
  };
}
