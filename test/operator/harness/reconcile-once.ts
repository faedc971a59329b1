import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { silentLogger, type KubeClient } from '@vllm-router/common';
import type { VLLMRouter } from '../../../operator/src/api/types.js';
import { Reconciler, type Cache } from '../../../operator/src/controller/reconciler.js';
import type { ReconcileResult } from '../../../operator/src/controller/work-queue.js';
import { Applier } from '../../../operator/src/kube/applier.js';
import { EventRecorder } from '../../../operator/src/kube/event-recorder.js';

/** A Cache over a snapshot of one list. */
function snapshot<T extends KubernetesObject>(items: T[]): Cache<T> {
  return {
    get: (namespace, name) => items.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
    list: (namespace) => items.filter((o) => namespace === undefined || o.metadata?.namespace === namespace),
  };
}

/**
 * One reconcile of `<ns>/<name>` with caches read from the API right before it and a fresh applier
 * (so nothing is skipped from memory), as envtest-style controller tests do. Resolves to what the work queue would get (a retry, or nothing).
 */
export async function reconcileOnce(client: KubeClient, ns: string, name: string, force = false): Promise<ReconcileResult> {
  const list = async <T,>(path: string) => (await client.request<{ items: T[] }>({ path })).items;
  const reconciler = new Reconciler({
    client,
    caches: {
      routers: snapshot(await list<VLLMRouter>(`/apis/router.vllm.ai/v1alpha1/namespaces/${ns}/vllmrouters`)),
      pods: snapshot(await list<V1Pod>(`/api/v1/namespaces/${ns}/pods`)),
      deployments: snapshot(await list<V1Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments`)),
      configMaps: snapshot(await list<V1ConfigMap>(`/api/v1/namespaces/${ns}/configmaps`)),
    },
    applier: new Applier(client),
    events: new EventRecorder(client, { instance: 'test' }),
    logger: silentLogger(),
    proxyImage: 'vllm-router:test',
  });
  return reconciler.reconcile(`${ns}/${name}`, force);
}
