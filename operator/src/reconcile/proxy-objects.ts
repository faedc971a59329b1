import type { V1ConfigMap, V1Deployment, V1EnvVar, V1Role, V1RoleBinding, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import type { RoutingTable } from '@vllm-router/common/routing-table';
import { ANNOTATIONS, PROXY_CONTAINER_PORT, ROUTING_KEY } from '../api/constants.js';
import type { AdmissionSpec, VLLMRouter } from '../api/types.js';
import { childMeta, childNames, proxyLabels, proxySelector } from './owner.js';
import type { ResolvedSpec } from './spec-defaults.js';

/** The routing ConfigMap: the table as pretty JSON under routing.json, its revision as an annotation. */
export function routingConfigMap(router: VLLMRouter, table: RoutingTable): V1ConfigMap {
  const meta = childMeta(router, childNames(router.metadata.name ?? '').configMap, 'routing');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...meta, annotations: { [ANNOTATIONS.revision]: table.revision } },
    data: { [ROUTING_KEY]: `${JSON.stringify(table, null, 2)}\n` },
  };
}

export function proxyServiceAccount(router: VLLMRouter): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: childMeta(router, childNames(router.metadata.name ?? '').serviceAccount, 'proxy') };
}

/** The proxy may read its own routing ConfigMap and nothing else. */
export function proxyRole(router: VLLMRouter): V1Role {
  const names = childNames(router.metadata.name ?? '');
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: childMeta(router, names.role, 'proxy'),
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [names.configMap], verbs: ['get', 'list', 'watch'] }],
  };
}

export function proxyRoleBinding(router: VLLMRouter): V1RoleBinding {
  const names = childNames(router.metadata.name ?? '');
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: childMeta(router, names.roleBinding, 'proxy'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.role },
    subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace: router.metadata.namespace ?? '' }],
  };
}

/** vllm-router's flags: configmap discovery of this router's table, then the user's extra flags. */
export function proxyArgs(router: VLLMRouter, spec: ResolvedSpec): string[] {
  const names = childNames(router.metadata.name ?? '');
  return [
    '--host', '0.0.0.0',
    '--port', String(PROXY_CONTAINER_PORT),
    '--service-discovery', 'configmap',
    '--routing-configmap', `${router.metadata.namespace ?? ''}/${names.configMap}`,
    '--routing-logic', spec.routing.logic,
    ...(spec.routing.sessionKey ? ['--session-key', spec.routing.sessionKey] : []),
    '--engine-stats-interval', String(spec.stats.engineStatsInterval),
    '--request-stats-window', String(spec.stats.requestStatsWindow),
    ...admissionArgs(spec.admission),
    ...spec.proxy.extraArgs,
  ];
}

/** spec.admission as vllm-router flags, in a fixed order; unset fields keep the proxy's defaults. */
export function admissionArgs(a: AdmissionSpec): string[] {
  const weights = a.tenantWeights ? Object.keys(a.tenantWeights).sort().map((t) => `${t}=${a.tenantWeights![t]}`).join(',') : undefined;
  const flags: Array<[string, string | number | undefined]> = [
    ['--max-concurrency-per-engine', a.maxConcurrencyPerEngine],
    ['--max-engine-waiting', a.maxEngineWaiting],
    ['--max-engine-kv-usage', a.maxEngineKvUsage],
    ['--queue-max-size', a.queueMaxSize],
    ['--queue-timeout-seconds', a.queueTimeoutSeconds],
    ['--priority-header', a.priority?.header],
    ['--priority-field', a.priority?.field],
    ['--priority-default', a.priority?.default],
    ['--tenant-header', a.tenantHeader],
    ['--tenant-weights', weights || undefined],
    ['--rate-limit-rpm', a.rateLimit?.rpm],
    ['--rate-limit-tpm', a.rateLimit?.tpm],
    ['--affinity-max-wait-ms', a.affinityMaxWaitMs],
  ];
  return flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)]));
}

function proxyEnv(spec: ResolvedSpec): V1EnvVar[] {
  const secret = spec.proxy.apiKeySecretRef;
  const apiKeys: V1EnvVar[] = secret ? [{ name: 'VLLM_ROUTER_API_KEYS', valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } }] : [];
  // The user's env comes last, but it cannot replace the key reference.
  return [...apiKeys, ...spec.proxy.env.filter((e) => !(secret && e.name === 'VLLM_ROUTER_API_KEYS'))];
}

/** The proxy Deployment: rolling updates that never drop below the desired ready replicas. */
export function proxyDeployment(router: VLLMRouter, spec: ResolvedSpec): V1Deployment {
  const name = router.metadata.name ?? '';
  const names = childNames(name);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(router, names.deployment, 'proxy'),
    spec: {
      replicas: spec.proxy.replicas,
      selector: { matchLabels: proxySelector(name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: proxyLabels(name) },
        spec: {
          serviceAccountName: names.serviceAccount,
          terminationGracePeriodSeconds: 45, // the proxy drains for up to 30 s
          // The "restricted" Pod Security Standard: the proxy image runs as a non-root user.
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          // The root filesystem is read-only; /tmp is where the Files API stores data by default.
          volumes: [{ name: 'tmp', emptyDir: {} }],
          containers: [
            {
              name: 'vllm-router',
              image: spec.proxy.image,
              imagePullPolicy: spec.proxy.imagePullPolicy,
              args: proxyArgs(router, spec),
              ports: [{ name: 'http', containerPort: PROXY_CONTAINER_PORT, protocol: 'TCP' }],
              env: proxyEnv(spec),
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              // /health fails while discovery is broken (reference behaviour): that takes the pod out of
              // the Service, but must not restart it, since a restarted proxy could not reload its table
              // during an API-server outage. Liveness only asks whether the process answers.
              readinessProbe: probe('/health', 5, 2),
              livenessProbe: { ...probe('/version', 10, 6), initialDelaySeconds: 10 },
              ...(spec.proxy.resources ? { resources: spec.proxy.resources } : {}),
            },
          ],
        },
      },
    },
  };
}

export function proxyService(router: VLLMRouter, spec: ResolvedSpec): V1Service {
  const name = router.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(router, childNames(name).service, 'proxy'),
    spec: {
      type: spec.proxy.service.type,
      selector: proxySelector(name),
      ports: [{ name: 'http', port: spec.proxy.service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
