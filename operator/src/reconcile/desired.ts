import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ModelLookup } from '@vllm-router/common';
import type { RoutingTable } from '@vllm-router/common/routing-table';
import type { VLLMRouter, VLLMRouterStatus } from '../api/types.js';
import { observeEngines, type EngineObservation } from './engines.js';
import { proxyDeployment, proxyRole, proxyRoleBinding, proxyService, proxyServiceAccount, routingConfigMap } from './proxy-objects.js';
import { buildRoutingTable } from './routing-table.js';
import { resolveSpec } from './spec-defaults.js';
import { buildStatus } from './status.js';

export interface DesiredOptions {
  /** Image for routers that name none (the operator's --proxy-image). */
  proxyImage: string;
  /** Models learned from GET /v1/models, by pod UID (absent: not fetched yet). */
  models: ReadonlyMap<string, ModelLookup>;
  /** The proxy Deployment as observed, for ProxyAvailable and proxyReadyReplicas. */
  deployment?: V1Deployment;
  /** Revision of the table currently published, kept in status when a new table is refused. */
  publishedRevision?: string;
  /** RFC 3339 time for condition transitions. */
  now: string;
}

export interface Desired {
  /**
   * Objects to apply, in order: the ConfigMap first (so the proxy finds its table at start), then
   * RBAC, the Deployment and the Service. The ConfigMap is left out when the table is invalid, so
   * the last good table stays published.
   */
  objects: KubernetesObject[];
  status: VLLMRouterStatus;
  /** The table, when valid. */
  table?: RoutingTable;
  engines: EngineObservation[];
}

/**
 * Everything a VLLMRouter should produce, given the pods its selector matches: no I/O, so the
 * reconcile decisions are unit-tested directly. The reconciler applies `objects` and writes `status`.
 */
export function desired(router: VLLMRouter, pods: readonly V1Pod[], options: DesiredOptions): Desired {
  const spec = resolveSpec(router, options.proxyImage);
  const engines = observeEngines(spec, pods, options.models);
  const table = buildRoutingTable(
    spec,
    engines.flatMap((e) => (e.entry ? [e.entry] : [])),
  );
  const objects: KubernetesObject[] = [
    ...(table.ok ? [routingConfigMap(router, table.table)] : []),
    proxyServiceAccount(router),
    proxyRole(router),
    proxyRoleBinding(router),
    proxyDeployment(router, spec),
    proxyService(router, spec),
  ];
  const status = buildStatus({
    router,
    spec,
    engines,
    table,
    ...(options.deployment ? { deployment: options.deployment } : {}),
    ...(options.publishedRevision ? { publishedRevision: options.publishedRevision } : {}),
    now: options.now,
  });
  return { objects, status, engines, ...(table.ok ? { table: table.table } : {}) };
}
