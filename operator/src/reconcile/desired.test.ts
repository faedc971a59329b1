import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1Deployment, V1Role, V1Service } from '@kubernetes/client-node';
import type { ModelLookup } from '@vllm-router/common';
import { validateRoutingTable, type RoutingTable } from '@vllm-router/common/routing-table';
import { podOf, routerOf } from '../testing/fixtures.js';
import { desired, type DesiredOptions } from './desired.js';
import { CONDITION, REASON } from './reasons.js';
import { summarizeModels } from './status.js';

const NOW = '2026-01-01T00:00:00Z';
const llama = (...models: string[]): ModelLookup => ({ ok: true, models });

function options(models: Record<string, ModelLookup> = {}, extra: Partial<DesiredOptions> = {}): DesiredOptions {
  return { proxyImage: 'vllm-router:test', models: new Map(Object.entries(models)), now: NOW, ...extra };
}

const readyDeployment = (ready = 1): V1Deployment => ({ spec: { replicas: 1, selector: {}, template: {} }, status: { readyReplicas: ready } });

function objectsOf(result: ReturnType<typeof desired>) {
  const byKind = (kind: string) => result.objects.find((o) => o.kind === kind);
  const configMap = byKind('ConfigMap') as V1ConfigMap | undefined;
  return {
    kinds: result.objects.map((o) => o.kind),
    configMap,
    table: configMap ? (JSON.parse(configMap.data?.['routing.json'] ?? '') as RoutingTable) : undefined,
    deployment: byKind('Deployment') as V1Deployment,
    service: byKind('Service') as V1Service,
    role: byKind('Role') as V1Role,
  };
}

const condition = (result: ReturnType<typeof desired>, type: string) => result.status.conditions?.find((c) => c.type === type);

describe('desired(router, pods, options)', () => {
  const pods = [podOf({ name: 'engine-b', ip: '127.1.0.2' }), podOf({ name: 'engine-a', ip: '127.1.0.1' })];
  const models = { 'uid-engine-a': llama('llama'), 'uid-engine-b': llama('llama', 'llama-lora') };

  describe('owned objects', () => {
    it('are the routing ConfigMap, proxy RBAC, Deployment and Service, in apply order', () => {
      expect(objectsOf(desired(routerOf(), pods, options(models))).kinds).toEqual(['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'Service']);
    });

    it('live in the router namespace and are controlled by the router, so deleting it deletes them', () => {
      for (const obj of desired(routerOf(), pods, options(models)).objects) {
        expect(obj.metadata?.namespace).toBe('team-a');
        expect(obj.metadata?.ownerReferences).toEqual([
          { apiVersion: 'router.vllm.ai/v1alpha1', kind: 'VLLMRouter', name: 'llm', uid: 'uid-llm', controller: true, blockOwnerDeletion: true },
        ]);
        expect(obj.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('vllm-router-operator');
      }
    });

    it('let the proxy read only its own ConfigMap', () => {
      expect(objectsOf(desired(routerOf(), pods, options(models))).role.rules).toEqual([
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['llm-routing'], verbs: ['get', 'list', 'watch'] },
      ]);
    });
  });

  describe('the routing table', () => {
    it('lists ready pods with the models they serve, ordered by pod name, and passes the contract validator', () => {
      const { table } = objectsOf(desired(routerOf(), pods, options(models)));
      expect(table?.engines).toEqual([
        { id: 'engine-a', url: 'http://127.1.0.1:8000', models: ['llama'], backendKind: 'vllm', labels: {}, ready: true },
        { id: 'engine-b', url: 'http://127.1.0.2:8000', models: ['llama', 'llama-lora'], backendKind: 'vllm', labels: {}, ready: true },
      ]);
      expect(table?.source).toBe('configmap');
      expect(validateRoutingTable(table).ok).toBe(true);
    });

    it('marks engines that schedule by priority (engines.priorityScheduling, staticBackends[].priorityScheduling)', () => {
      const { table } = objectsOf(
        desired(
          routerOf({ engines: { selector: { matchLabels: { app: 'engine' } }, priorityScheduling: true }, staticBackends: [{ url: 'http://x.example', models: ['x'] }, { url: 'http://y.example', models: ['y'], priorityScheduling: true }] }),
          pods,
          options(models),
        ),
      );
      expect(table?.engines.map((e) => [e.id, e.priorityScheduling ?? false])).toEqual([['engine-a', true], ['engine-b', true], ['http://x.example', false], ['http://y.example', true]]);
    });

    it('has the same revision whatever order the pods come in', () => {
      const a = desired(routerOf(), pods, options(models)).table?.revision;
      const b = desired(routerOf(), [...pods].reverse(), options(models)).table?.revision;
      expect(a).toMatch(/^[0-9a-f]{16}$/);
      expect(a).toBe(b);
    });

    it('marks unready and terminating pods not ready, and leaves out pods without an IP', () => {
      const result = desired(
        routerOf(),
        [
          podOf({ name: 'ok', ip: '127.1.0.1' }),
          podOf({ name: 'unready', ip: '127.1.0.2', ready: false }),
          podOf({ name: 'leaving', ip: '127.1.0.3', terminating: true }),
          podOf({ name: 'pending' }),
        ],
        options({ 'uid-ok': llama('m') }),
      );
      expect(result.table?.engines.map((e) => `${e.id}:${e.ready}`)).toEqual(['leaving:false', 'ok:true', 'unready:false']);
      expect(result.status.endpoints?.map((e) => `${e.pod}:${e.reason ?? 'ready'}`)).toEqual([
        'leaving:Terminating',
        'ok:ready',
        'pending:NoPodIP',
        'unready:PodNotReady',
      ]);
      expect(result.status).toMatchObject({ readyEngines: 1, totalEngines: 4, engines: '1/4' });
    });

    it('marks an engine whose model discovery failed not ready, with the reason', () => {
      const result = desired(routerOf(), [podOf({ name: 'e', ip: '127.1.0.1' })], options({ 'uid-e': { ok: false, reason: 'GET http://127.1.0.1:8000/v1/models: ECONNREFUSED' } }));
      expect(result.table?.engines[0]?.ready).toBe(false);
      expect(result.status.endpoints?.[0]?.reason).toBe('ModelDiscoveryFailed: GET http://127.1.0.1:8000/v1/models: ECONNREFUSED');
      expect(condition(result, CONDITION.enginesAvailable)).toMatchObject({ status: 'False', reason: REASON.noReadyEngines });
    });

    it('waits for models not fetched yet (ModelsPending) rather than routing blind', () => {
      const result = desired(routerOf(), [podOf({ name: 'e', ip: '127.1.0.1' })], options());
      expect(result.status.endpoints?.[0]).toMatchObject({ ready: false, reason: 'ModelsPending' });
    });

    it('reads models from a pod label or annotation when told to (comma-separated, no request to the engine)', () => {
      const byLabel = desired(
        routerOf({ engines: { selector: { matchLabels: { app: 'engine' } }, models: { source: 'label', key: 'model' } } }),
        [podOf({ name: 'e', ip: '127.1.0.1', labels: { model: 'opt-125m' } }), podOf({ name: 'f', ip: '127.1.0.2' })],
        options(),
      );
      expect(byLabel.table?.engines.map((e) => [e.id, e.models, e.ready, e.labels])).toEqual([
        ['e', ['opt-125m'], true, { model: 'opt-125m' }],
        ['f', [], false, {}],
      ]);
      expect(byLabel.status.endpoints?.[1]?.reason).toBe('ModelDiscoveryFailed: pod has no label model');

      const byAnnotation = desired(
        routerOf({ engines: { selector: { matchLabels: { app: 'engine' } }, models: { source: 'annotation', key: 'router.vllm.ai/models' } } }),
        [podOf({ name: 'e', ip: '127.1.0.1', annotations: { 'router.vllm.ai/models': 'meta-llama/Llama-3.1-8B, lora-a' } })],
        options(),
      );
      expect(byAnnotation.table?.engines[0]?.models).toEqual(['meta-llama/Llama-3.1-8B', 'lora-a']);
    });

    it('uses the engine port, scheme and backend kind, and adds static backends as ready engines', () => {
      const result = desired(
        routerOf({
          engines: { selector: { matchLabels: { app: 'engine' } }, port: 30000, scheme: 'https', backendKind: 'sglang' },
          staticBackends: [{ url: 'https://api.example.com', models: ['gpt-x'], backendKind: 'openai' }],
        }),
        [podOf({ name: 'e', ip: '127.1.0.1' })],
        options({ 'uid-e': llama('qwen') }),
      );
      expect(result.table?.engines).toEqual([
        { id: 'e', url: 'https://127.1.0.1:30000', models: ['qwen'], backendKind: 'sglang', labels: {}, ready: true },
        { id: 'https://api.example.com', url: 'https://api.example.com', models: ['gpt-x'], backendKind: 'openai', labels: {}, ready: true },
      ]);
      expect(result.status.models).toEqual(['gpt-x', 'qwen']);
    });

    it('carries routing logic, session key, prefix settings, aliases and model types', () => {
      const result = desired(
        routerOf({
          routing: { logic: 'session', sessionKey: 'x-user-id', prefix: { blockChars: 128 } },
          aliases: { gpt4: 'llama' },
          modelTypes: { llama: 'chat' },
        }),
        pods,
        options(models),
      );
      expect(result.table).toMatchObject({ routingLogic: 'session', sessionKey: 'x-user-id', prefix: { blockChars: 128 }, aliases: { gpt4: 'llama' }, modelTypes: { llama: 'chat' } });
    });
  });

  describe('an invalid table', () => {
    const shadowing = routerOf({ aliases: { llama: 'llama-lora' } }); // the alias names a served model

    it('is not published: the ConfigMap is left out so the last good table stays', () => {
      const result = desired(shadowing, pods, options(models, { publishedRevision: 'abc123' }));
      expect(objectsOf(result).kinds).not.toContain('ConfigMap');
      expect(result.table).toBeUndefined();
      expect(result.status.routingRevision).toBe('abc123');
    });

    it('is reported in ConfigValid and Ready with the validator’s words', () => {
      const result = desired(shadowing, pods, options(models, { deployment: readyDeployment() }));
      expect(condition(result, CONDITION.configValid)).toMatchObject({ status: 'False', reason: REASON.invalidTable });
      expect(condition(result, CONDITION.configValid)?.message).toContain('aliases.llama: "llama-lora" alias shadows a model an engine serves');
      expect(condition(result, CONDITION.ready)).toMatchObject({ status: 'False', reason: REASON.invalidTable });
    });
  });

  describe('the proxy Deployment', () => {
    it('runs vllm-router on this router’s ConfigMap with the routing flags, then the extra args', () => {
      const { deployment } = objectsOf(
        desired(
          routerOf({ routing: { logic: 'session', sessionKey: 'x-user' }, stats: { engineStatsInterval: 5, requestStatsWindow: 30 }, proxy: { extraArgs: ['--log-format', 'json'] } }),
          pods,
          options(models),
        ),
      );
      const container = deployment.spec?.template.spec?.containers[0];
      expect(container?.image).toBe('vllm-router:test');
      expect(container?.args).toEqual([
        '--host', '0.0.0.0', '--port', '8000',
        '--service-discovery', 'configmap', '--routing-configmap', 'team-a/llm-routing',
        '--routing-logic', 'session', '--session-key', 'x-user',
        '--engine-stats-interval', '5', '--request-stats-window', '30',
        '--log-format', 'json',
      ]);
    });

    it('passes spec.admission as the proxy\'s admission flags, before the extra args', () => {
      const { deployment } = objectsOf(
        desired(routerOf({ admission: { maxConcurrencyPerEngine: 8, queueTimeoutSeconds: 5, tenantWeights: { b: 1, a: 2 }, rateLimit: { rpm: 60 } }, proxy: { extraArgs: ['--log-format', 'json'] } }), pods, options(models)),
      );
      expect(deployment.spec?.template.spec?.containers[0]?.args?.slice(-10)).toEqual([
        '--max-concurrency-per-engine', '8', '--queue-timeout-seconds', '5', '--tenant-weights', 'a=2,b=1', '--rate-limit-rpm', '60',
        '--log-format', 'json',
      ]);
    });

    it('rolls out without losing ready replicas, is ready on /health and alive on /version, and runs as the proxy service account', () => {
      const { deployment } = objectsOf(desired(routerOf({ proxy: { replicas: 3, image: 'mine:1', imagePullPolicy: 'Always', resources: { limits: { cpu: 2, memory: '1Gi' } } } }), pods, options(models)));
      expect(deployment.spec?.replicas).toBe(3);
      expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      const pod = deployment.spec?.template.spec;
      expect(pod?.serviceAccountName).toBe('llm-router');
      const c = pod?.containers[0];
      expect(c).toMatchObject({ image: 'mine:1', imagePullPolicy: 'Always', resources: { limits: { cpu: '2', memory: '1Gi' } } });
      expect(c?.readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
      expect(c?.livenessProbe?.httpGet).toEqual({ path: '/version', port: 'http' });
      expect(deployment.spec?.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'vllm-router', 'app.kubernetes.io/instance': 'llm' });
    });

    it('meets the restricted Pod Security Standard, with a writable /tmp on a read-only root', () => {
      const { deployment } = objectsOf(desired(routerOf(), pods, options(models)));
      const pod = deployment.spec?.template.spec;
      expect(pod?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod?.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(pod?.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
      expect(pod?.containers[0]?.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    });

    it('takes client API keys from the Secret as VLLM_ROUTER_API_KEYS, which user env cannot replace', () => {
      const { deployment } = objectsOf(
        desired(
          routerOf({ proxy: { apiKeySecretRef: { name: 'keys' }, env: [{ name: 'VLLM_ROUTER_API_KEYS', value: 'leak' }, { name: 'TZ', value: 'UTC' }] } }),
          pods,
          options(models),
        ),
      );
      expect(deployment.spec?.template.spec?.containers[0]?.env).toEqual([
        { name: 'VLLM_ROUTER_API_KEYS', valueFrom: { secretKeyRef: { name: 'keys', key: 'api-keys' } } },
        { name: 'TZ', value: 'UTC' },
      ]);
    });

    it('is exposed by a Service on the spec’s port, which the status URL names', () => {
      const result = desired(routerOf({ proxy: { service: { type: 'NodePort', port: 8080 } } }), pods, options(models));
      expect(objectsOf(result).service.spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }] });
      expect(result.status.url).toBe('http://llm.team-a.svc:8080/v1');
    });
  });

  describe('status', () => {
    it('sums up engines, models, the ConfigMap and its revision for kubectl get', () => {
      const result = desired(routerOf(), [...pods, podOf({ name: 'engine-c', ip: '127.1.0.3', ready: false })], options(models, { deployment: readyDeployment() }));
      expect(result.status).toMatchObject({
        observedGeneration: 3,
        readyEngines: 2,
        totalEngines: 3,
        engines: '2/3',
        models: ['llama', 'llama-lora'],
        modelsSummary: 'llama,llama-lora',
        proxyReadyReplicas: 1,
        url: 'http://llm.team-a.svc:80/v1',
        routingConfigMap: 'llm-routing',
        routingRevision: result.table?.revision,
      });
    });

    it('is Ready when the table is valid, an engine is ready and a proxy replica is ready', () => {
      const result = desired(routerOf(), pods, options(models, { deployment: readyDeployment() }));
      expect(result.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
        [CONDITION.ready, 'True', REASON.ready],
        [CONDITION.configValid, 'True', REASON.tableValid],
        [CONDITION.enginesAvailable, 'True', REASON.enginesReady],
        [CONDITION.proxyAvailable, 'True', REASON.proxyReady],
      ]);
      for (const c of result.status.conditions ?? []) expect(c.observedGeneration).toBe(3);
    });

    it('says why it is not Ready: no engines selected, proxy not observed yet, proxy scaled to zero', () => {
      const none = desired(routerOf(), [], options({}, { deployment: readyDeployment() }));
      expect(condition(none, CONDITION.ready)).toMatchObject({ status: 'False', reason: REASON.noEngines });
      const pending = desired(routerOf(), pods, options(models));
      expect(condition(pending, CONDITION.proxyAvailable)).toMatchObject({ status: 'Unknown', reason: REASON.proxyPending });
      expect(condition(pending, CONDITION.ready)).toMatchObject({ status: 'Unknown', reason: REASON.proxyPending });
      const zero = desired(routerOf({ proxy: { replicas: 0 } }), pods, options(models));
      expect(condition(zero, CONDITION.proxyAvailable)).toMatchObject({ status: 'False', reason: REASON.proxyScaledToZero });
    });

    it('keeps lastTransitionTime while a condition holds, and moves it when it flips', () => {
      const first = desired(routerOf(), pods, options(models, { deployment: readyDeployment() }));
      const router = { ...routerOf(), status: first.status };
      const same = desired(router, pods, { ...options(models, { deployment: readyDeployment() }), now: '2026-01-01T01:00:00Z' });
      expect(condition(same, CONDITION.ready)?.lastTransitionTime).toBe(NOW);
      const flipped = desired(router, pods, { ...options(models, { deployment: readyDeployment(0) }), now: '2026-01-01T02:00:00Z' });
      expect(condition(flipped, CONDITION.ready)?.lastTransitionTime).toBe('2026-01-01T02:00:00Z');
      expect(condition(flipped, CONDITION.enginesAvailable)?.lastTransitionTime).toBe(NOW);
    });

    it('shortens a long model list to fit a column', () => {
      expect(summarizeModels(['a', 'b'])).toBe('a,b');
      const many = Array.from({ length: 10 }, (_, i) => `meta-llama/model-number-${i}`);
      expect(summarizeModels(many)).toBe('meta-llama/model-number-0,meta-llama/model-number-1 +8 more');
    });
  });
});
