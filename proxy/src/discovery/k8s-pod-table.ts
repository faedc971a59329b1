import type { V1Pod } from '@kubernetes/client-node';
import { finalizeTable, roleOfLabel, type EngineEntry, type RoleLabels, type RoutingLogic, type RoutingTable } from '@vllm-router/common/routing-table';
import type { EngineRef, ModelLookup } from '@vllm-router/common';
import { engineUrl, podReadiness } from '@vllm-router/common';

export interface PodTableSettings {
  port: number;
  routingLogic: RoutingLogic;
  sessionKey?: string;
  aliases: Record<string, string>;
  /** Which `model` label values make a pod a prefill or a decode engine (--prefill/--decode-model-labels). */
  roleLabels?: RoleLabels;
}

const podKey = (pod: V1Pod): string => pod.metadata?.uid ?? pod.metadata?.name ?? '';

/** Ready pods, whose models GET /v1/models must tell. */
export function podModelRefs(pods: readonly V1Pod[], port: number): EngineRef[] {
  return pods.flatMap((pod) => {
    const r = podReadiness(pod);
    return r.ready ? [{ key: podKey(pod), version: pod.metadata?.resourceVersion ?? '', url: engineUrl('http', r.ip, port) }] : [];
  });
}

/**
 * The table the proxy builds itself in `--service-discovery k8s` mode, as the reference router
 * does: one engine per pod with an IP (id = pod name), ready when the pod is and its models are
 * known; the pod label `model` becomes the engine label `model`, and gives the engine its role
 * when --prefill-model-labels or --decode-model-labels names it.
 */
export function podsToTable(pods: readonly V1Pod[], lookups: ReadonlyMap<string, ModelLookup>, settings: PodTableSettings): RoutingTable {
  const engines: EngineEntry[] = [];
  for (const pod of [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const readiness = podReadiness(pod);
    if (!readiness.ip) continue;
    const lookup = lookups.get(podKey(pod));
    const models = lookup?.ok ? lookup.models : [];
    const label = pod.metadata?.labels?.model;
    const role = settings.roleLabels ? roleOfLabel(label, settings.roleLabels) : undefined;
    engines.push({
      id: pod.metadata?.name ?? '',
      url: engineUrl('http', readiness.ip, settings.port),
      models,
      backendKind: 'vllm',
      labels: label ? { model: label } : {},
      ready: readiness.ready && models.length > 0,
      ...(role ? { role } : {}),
    });
  }
  return finalizeTable({
    source: 'k8s',
    routingLogic: settings.routingLogic,
    ...(settings.sessionKey ? { sessionKey: settings.sessionKey } : {}),
    engines,
    aliases: settings.aliases,
    modelTypes: {},
  });
}
