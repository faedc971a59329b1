import type { V1Pod } from '@kubernetes/client-node';
import { engineUrl, podReadiness, type EngineRef, type ModelLookup } from '@vllm-router/common';
import { roleOfLabel, type EngineEntry } from '@vllm-router/common/routing-table';
import type { EndpointStatus } from '../api/types.js';
import { ENGINE_REASON } from './reasons.js';
import type { ResolvedSpec } from './spec-defaults.js';

/** One engine as the operator sees it: its status line, and its routing table entry when it has an address. */
export interface EngineObservation {
  endpoint: EndpointStatus;
  entry?: EngineEntry;
}

type EnginesConfig = NonNullable<ResolvedSpec['engines']>;

const podKey = (pod: V1Pod): string => pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const byName = (a: V1Pod, b: V1Pod): number => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/** The pods whose models must be fetched from GET /v1/models: ready ones, when the spec says so. */
export function engineModelRefs(spec: ResolvedSpec, pods: readonly V1Pod[]): EngineRef[] {
  const engines = spec.engines;
  if (!engines || engines.models.source !== 'api') return [];
  const refs: EngineRef[] = [];
  for (const pod of pods) {
    const r = podReadiness(pod);
    if (r.ready) refs.push({ key: podKey(pod), version: pod.metadata?.resourceVersion ?? '', url: engineUrl(engines.scheme, r.ip, engines.port) });
  }
  return refs;
}

/** Models named by a pod label or annotation: comma-separated, blanks dropped. */
function modelsFromMetadata(pod: V1Pod, engines: EnginesConfig): ModelLookup {
  const key = engines.models.key ?? 'model';
  const where = engines.models.source === 'label' ? pod.metadata?.labels : pod.metadata?.annotations;
  const raw = where?.[key];
  if (raw === undefined) return { ok: false, reason: `pod has no ${engines.models.source} ${key}` };
  const models = [...new Set(raw.split(',').map((m) => m.trim()).filter(Boolean))];
  return models.length ? { ok: true, models } : { ok: false, reason: `${engines.models.source} ${key} is empty` };
}

function observePod(pod: V1Pod, engines: EnginesConfig, lookups: ReadonlyMap<string, ModelLookup>): EngineObservation {
  const name = pod.metadata?.name ?? '';
  const readiness = podReadiness(pod);
  const ip = readiness.ip;
  const url = ip ? engineUrl(engines.scheme, ip, engines.port) : '';
  const lookup: ModelLookup | undefined =
    engines.models.source === 'api' ? lookups.get(podKey(pod)) : modelsFromMetadata(pod, engines);
  const models = lookup?.ok ? lookup.models : [];

  let reason: string | undefined;
  if (!readiness.ready) reason = readiness.reason;
  else if (!lookup) reason = ENGINE_REASON.modelsPending;
  else if (!lookup.ok) reason = `${ENGINE_REASON.modelDiscoveryFailed}: ${lookup.reason}`;
  else if (models.length === 0) reason = ENGINE_REASON.noModels;
  const ready = reason === undefined;

  const role = roleOfLabel(pod.metadata?.labels?.[engines.roles.label], engines.roles);
  const endpoint: EndpointStatus = { pod: name, url, models, ready, ...(reason ? { reason } : {}), ...(role ? { role } : {}) };
  if (!ip) return { endpoint };
  const modelLabel = pod.metadata?.labels?.model;
  return {
    endpoint,
    entry: {
      id: name,
      url,
      models,
      backendKind: engines.backendKind,
      labels: modelLabel ? { model: modelLabel } : {},
      ready,
      ...(engines.priorityScheduling ? { priorityScheduling: true } : {}),
      ...(role ? { role } : {}),
    },
  };
}

/** Every selected pod and static backend, in a stable order (pods by name, then backends as listed). */
export function observeEngines(spec: ResolvedSpec, pods: readonly V1Pod[], lookups: ReadonlyMap<string, ModelLookup>): EngineObservation[] {
  const engines = spec.engines;
  const fromPods = engines ? [...pods].sort(byName).map((pod) => observePod(pod, engines, lookups)) : [];
  const fromStatic = spec.staticBackends.map(
    (b): EngineObservation => ({
      endpoint: { url: b.url, models: b.models, ready: true, ...(b.role ? { role: b.role } : {}), ...(b.priorityScheduling ? { priorityScheduling: true } : {}) },
      entry: { id: b.url, url: b.url, models: b.models, backendKind: b.backendKind, labels: {}, ready: true, ...(b.role ? { role: b.role } : {}), ...(b.priorityScheduling ? { priorityScheduling: true } : {}) },
    }),
  );
  return [...fromPods, ...fromStatic];
}
