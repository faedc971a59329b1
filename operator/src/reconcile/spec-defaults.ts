import type { V1EnvVar, V1LabelSelector, V1ResourceRequirements } from '@kubernetes/client-node';
import type { BackendKind, ModelType, PrefixParams } from '@vllm-router/common/routing-table';
import type { AdmissionSpec, ModelSource, ProxySpec, RouterLogic, StaticBackendSpec, VLLMRouter } from '../api/types.js';

/** A spec with every default filled in: the API server defaults too, but desired() must not depend on it. */
export interface ResolvedSpec {
  engines?: {
    selector: V1LabelSelector;
    port: number;
    scheme: 'http' | 'https';
    backendKind: BackendKind;
    models: { source: ModelSource; key?: string; timeoutMs: number };
    roles: { label: string; prefill: string[]; decode: string[] };
    priorityScheduling: boolean;
  };
  staticBackends: Array<Required<Omit<StaticBackendSpec, 'role'>> & Pick<StaticBackendSpec, 'role'>>;
  aliases: Record<string, string>;
  modelTypes: Record<string, ModelType>;
  routing: { logic: RouterLogic; sessionKey?: string; prefix?: Partial<PrefixParams> };
  stats: { engineStatsInterval: number; requestStatsWindow: number };
  /** As written: the proxy's own defaults apply to what is unset. */
  admission: AdmissionSpec;
  proxy: {
    replicas: number;
    image: string;
    imagePullPolicy: NonNullable<ProxySpec['imagePullPolicy']>;
    resources?: V1ResourceRequirements;
    service: { type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port: number };
    apiKeySecretRef?: { name: string; key: string };
    extraArgs: string[];
    env: V1EnvVar[];
  };
}

/** The pod label that gives an engine its role unless spec.engines.roles.label names another. */
export const ROLE_LABEL = 'router.vllm.ai/role';

export function resolveSpec(router: VLLMRouter, defaultImage: string): ResolvedSpec {
  const s = router.spec ?? {};
  const e = s.engines;
  const p = s.proxy ?? {};
  const prefix = s.routing?.prefix;
  return {
    ...(e
      ? {
          engines: {
            selector: e.selector,
            port: e.port ?? 8000,
            scheme: e.scheme ?? 'http',
            backendKind: e.backendKind ?? 'vllm',
            models: {
              source: e.models?.source ?? 'api',
              ...(e.models?.key ? { key: e.models.key } : {}),
              timeoutMs: Math.round((e.models?.timeoutSeconds ?? 2) * 1000),
            },
            priorityScheduling: e.priorityScheduling ?? false,
            roles: { label: e.roles?.label ?? ROLE_LABEL, prefill: e.roles?.prefill ?? ['prefill'], decode: e.roles?.decode ?? ['decode'] },
          },
        }
      : {}),
    staticBackends: (s.staticBackends ?? []).map((b) => ({ url: b.url, models: b.models, backendKind: b.backendKind ?? 'vllm', ...(b.role ? { role: b.role } : {}), priorityScheduling: b.priorityScheduling ?? false })),
    aliases: s.aliases ?? {},
    modelTypes: s.modelTypes ?? {},
    routing: {
      logic: s.routing?.logic ?? 'roundrobin',
      ...(s.routing?.sessionKey ? { sessionKey: s.routing.sessionKey } : {}),
      ...(prefix && Object.keys(prefix).length ? { prefix } : {}),
    },
    stats: { engineStatsInterval: s.stats?.engineStatsInterval ?? 30, requestStatsWindow: s.stats?.requestStatsWindow ?? 60 },
    admission: s.admission ?? {},
    proxy: {
      replicas: p.replicas ?? 1,
      image: p.image ?? defaultImage,
      imagePullPolicy: p.imagePullPolicy ?? 'IfNotPresent',
      ...(p.resources ? { resources: quantities(p.resources) } : {}),
      service: { type: p.service?.type ?? 'ClusterIP', port: p.service?.port ?? 80 },
      ...(p.apiKeySecretRef ? { apiKeySecretRef: { name: p.apiKeySecretRef.name, key: p.apiKeySecretRef.key ?? 'api-keys' } } : {}),
      extraArgs: p.extraArgs ?? [],
      env: p.env ?? [],
    },
  };
}

/** Quantities may be written as numbers (int-or-string); the Deployment takes strings. */
function quantities(r: NonNullable<ProxySpec['resources']>): V1ResourceRequirements {
  const asStrings = (m: Record<string, string | number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  return { ...(r.limits ? { limits: asStrings(r.limits) } : {}), ...(r.requests ? { requests: asStrings(r.requests) } : {}) };
}
