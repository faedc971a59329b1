/**
 * spec.admission and priorityScheduling on the real API server: the CRD accepts what the proxy
 * accepts and refuses the rest at apply time, and a reconcile turns them into the proxy's flags and
 * the routing table's per-engine priorityScheduling.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { KubeClient } from '@vllm-router/common';
import type { RoutingTable } from '@vllm-router/common/routing-table';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { apply, engineDeployment, installCrd, waitFor } from './harness/kube.js';
import { reconcileOnce } from './harness/reconcile-once.js';

const CRD = fileURLToPath(new URL('../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url));
const ns = `admission-test-${process.pid}`;

const router = (name: string, admission: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'router.vllm.ai/v1alpha1',
  kind: 'VLLMRouter',
  metadata: { name, namespace: ns },
  spec: {
    engines: { selector: { matchLabels: { app: 'prio-engine' } }, models: { source: 'label', key: 'model' }, priorityScheduling: true },
    staticBackends: [{ url: 'http://llm.example.com', models: ['remote'] }],
    admission,
    ...extra,
  },
});

describe('spec.admission on the API server', () => {
  let cluster: Cluster;
  let client: KubeClient;

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrd(cluster, CRD);
    await cluster.kubectlRun(['create', 'namespace', ns]);
    client = KubeClient.load(cluster.kubeconfig);
    await apply(cluster, engineDeployment(ns, 'prio-engine', 1, { app: 'prio-engine', model: 'llama' }));
    await waitFor('a ready engine pod', async () => ((await client.request<{ items: V1Pod[] }>({ path: `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dprio-engine` })).items.some((p) => p.status?.podIP) ? true : undefined), 20_000);
  }, 120_000);

  afterAll(async () => {
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 30_000);

  it('becomes the proxy\'s admission flags and per-engine priority forwarding in the routing table', async () => {
    await apply(
      cluster,
      router('llm', {
        maxConcurrencyPerEngine: 4,
        maxEngineWaiting: 2,
        maxEngineKvUsage: 0.92,
        queueMaxSize: 200,
        queueTimeoutSeconds: 15,
        priority: { header: 'X-Priority', field: 'prio', default: 1 },
        tenantHeader: 'x-team',
        tenantWeights: { 'team-b': 1, 'team-a': 3 },
        rateLimit: { rpm: 600, tpm: 200000 },
        affinityMaxWaitMs: 100,
      }, { staticBackends: [{ url: 'http://llm.example.com', models: ['remote'], priorityScheduling: false }] }),
    );
    expect(await reconcileOnce(client, ns, 'llm')).toBeUndefined();
    const deployment = await client.request<V1Deployment>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/llm` });
    const args = deployment.spec?.template.spec?.containers[0]?.args ?? [];
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(Object.fromEntries(['--max-concurrency-per-engine', '--max-engine-waiting', '--max-engine-kv-usage', '--queue-max-size', '--queue-timeout-seconds', '--priority-header', '--priority-field', '--priority-default', '--tenant-header', '--tenant-weights', '--rate-limit-rpm', '--rate-limit-tpm', '--affinity-max-wait-ms'].map((f) => [f, flag(f)]))).toEqual({
      '--max-concurrency-per-engine': '4',
      '--max-engine-waiting': '2',
      '--max-engine-kv-usage': '0.92',
      '--queue-max-size': '200',
      '--queue-timeout-seconds': '15',
      '--priority-header': 'X-Priority',
      '--priority-field': 'prio',
      '--priority-default': '1',
      '--tenant-header': 'x-team',
      '--tenant-weights': 'team-a=3,team-b=1',
      '--rate-limit-rpm': '600',
      '--rate-limit-tpm': '200000',
      '--affinity-max-wait-ms': '100',
    });
    const configMap = await client.request<V1ConfigMap>({ path: `/api/v1/namespaces/${ns}/configmaps/llm-routing` });
    const table = JSON.parse(configMap.data?.['routing.json'] ?? '{}') as RoutingTable;
    expect(table.engines.map((e) => [e.models, e.priorityScheduling ?? false])).toEqual([[['llama'], true], [['remote'], false]]);
  });

  it('leaves the proxy at its defaults when spec.admission is absent', async () => {
    await apply(cluster, { ...router('plain', undefined), spec: { engines: { selector: { matchLabels: { app: 'prio-engine' } }, models: { source: 'label', key: 'model' } } } });
    await reconcileOnce(client, ns, 'plain');
    const deployment = await client.request<V1Deployment>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/plain` });
    const args = deployment.spec?.template.spec?.containers[0]?.args ?? [];
    expect(args.filter((a) => /queue|concurrency|rate-limit|priority|tenant|affinity/.test(a))).toEqual([]);
    const table = JSON.parse((await client.request<V1ConfigMap>({ path: `/api/v1/namespaces/${ns}/configmaps/plain-routing` })).data?.['routing.json'] ?? '{}') as RoutingTable;
    expect(table.engines.every((e) => e.priorityScheduling === undefined)).toBe(true);
  });

  it.each([
    ['a KV-cache threshold above 1', { maxEngineKvUsage: 1.5 }, 'maxEngineKvUsage'],
    ['a zero queue timeout', { queueTimeoutSeconds: 0 }, 'queueTimeoutSeconds'],
    ['a negative concurrency limit', { maxConcurrencyPerEngine: -1 }, 'maxConcurrencyPerEngine'],
    ['a weight of zero', { tenantWeights: { a: 0 } }, 'tenantWeights'],
    ['a tenant name with a comma', { tenantWeights: { 'a,b': 1 } }, 'tenant names must be non-empty and contain no comma'],
    ['a header name with a space', { priority: { header: 'x priority' } }, 'priority.header'],
  ])('refuses %s at apply time', async (_what, admission, message) => {
    const refused = await apply(cluster, router('bad', admission)).then(() => 'accepted', (err: unknown) => String(err));
    expect(refused).toContain(message);
  });
});
