/**
 * The Reconciler as a plain function against the real API server (no informers, no queue): caches
 * are read from the API right before each call, as envtest-style controller tests do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { KubeClient } from '@vllm-router/common';
import type { VLLMRouter } from '../../operator/src/api/types.js';
import { reconcileOnce as reconcileRouter } from './harness/reconcile-once.js';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { apply, engineDeployment, installCrd, waitFor } from './harness/kube.js';

const CRD = fileURLToPath(new URL('../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url));
const ns = `reconcile-test-${process.pid}`;

describe('Reconciler against the API server', () => {
  let cluster: Cluster;
  let client: KubeClient;
  const list = async <T,>(path: string) => (await client.request<{ items: T[] }>({ path })).items;

  const reconcileOnce = (force = false) => reconcileRouter(client, ns, 'llm', force);

  const versions = async () => {
    const paths = ['/api/v1/namespaces/NS/configmaps/llm-routing', '/apis/apps/v1/namespaces/NS/deployments/llm', '/api/v1/namespaces/NS/services/llm', '/api/v1/namespaces/NS/serviceaccounts/llm-router', '/apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles/llm-router', '/apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings/llm-router'];
    return Promise.all(paths.map(async (p) => (await client.request<KubernetesObject>({ path: p.replace('NS', ns) })).metadata?.resourceVersion));
  };

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrd(cluster, CRD);
    await cluster.kubectlRun(['create', 'namespace', ns]);
    client = KubeClient.load(cluster.kubeconfig);
    await apply(
      cluster,
      engineDeployment(ns, 'engine', 2, { app: 'engine', model: 'llama' }),
      { apiVersion: 'router.vllm.ai/v1alpha1', kind: 'VLLMRouter', metadata: { name: 'llm', namespace: ns }, spec: { engines: { selector: { matchLabels: { app: 'engine' } }, models: { source: 'label', key: 'model' } } } },
    );
    await waitFor('2 ready engine pods', async () => ((await list<V1Pod>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dengine`)).filter((p) => p.status?.podIP).length === 2 ? true : undefined), 20_000);
  }, 120_000);

  afterAll(async () => {
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 30_000);

  it('creates the owned objects and writes status in one pass', async () => {
    expect(await reconcileOnce()).toBeUndefined(); // nothing to retry: models came from labels
    const configMap = await client.request<V1ConfigMap>({ path: `/api/v1/namespaces/${ns}/configmaps/llm-routing` });
    const table = JSON.parse(configMap.data?.['routing.json'] ?? '{}') as { engines: { ready: boolean; models: string[] }[] };
    expect(table.engines.map((e) => [e.ready, e.models])).toEqual([[true, ['llama']], [true, ['llama']]]);
    expect(configMap.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'VLLMRouter', name: 'llm', controller: true });
    const router = await client.request<VLLMRouter>({ path: `/apis/router.vllm.ai/v1alpha1/namespaces/${ns}/vllmrouters/llm` });
    expect(router.status).toMatchObject({ engines: '2/2', models: ['llama'], routingConfigMap: 'llm-routing', observedGeneration: 1 });
    // No kwok-run proxy replica observed yet in this pass's snapshot: ProxyAvailable is Unknown.
    expect(router.status?.conditions?.find((c) => c.type === 'ProxyAvailable')?.status).toBe('Unknown');
  });

  it('is idempotent: a forced second pass changes nothing on the server', async () => {
    await waitFor('the proxy Deployment to report a ready replica', async () => ((await client.request<V1Deployment>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/llm` })).status?.readyReplicas ? true : undefined));
    await reconcileOnce(); // picks up the Deployment's status
    const before = await versions();
    const routerBefore = await client.request<VLLMRouter>({ path: `/apis/router.vllm.ai/v1alpha1/namespaces/${ns}/vllmrouters/llm` });
    await reconcileOnce(true);
    expect(await versions()).toEqual(before);
    const routerAfter = await client.request<VLLMRouter>({ path: `/apis/router.vllm.ai/v1alpha1/namespaces/${ns}/vllmrouters/llm` });
    expect(routerAfter.metadata.resourceVersion).toBe(routerBefore.metadata.resourceVersion);
    expect(routerAfter.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});
