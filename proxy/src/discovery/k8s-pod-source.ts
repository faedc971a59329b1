import type { V1Pod } from '@kubernetes/client-node';
import type { BackoffOptions } from '@vllm-router/common';
import { EngineModelCache } from '@vllm-router/common';
import { fetchEngineModels } from '@vllm-router/common';
import { Informer, type InformerOptions, type ListWatcher } from '@vllm-router/common';
import type { KubeClient } from '@vllm-router/common';
import { kubeListWatcher } from '@vllm-router/common';
import { podModelRefs, podsToTable, type PodTableSettings } from './k8s-pod-table.js';
import type { RoutingSource, TableSink } from './routing-source.js';

export const K8S_COMPONENT = 'k8s-discovery';

export interface PodSourceOptions extends InformerOptions {
  /** Replaces GET /v1/models (tests). */
  fetchModels?: (url: string) => Promise<string[]>;
  modelRetry?: BackoffOptions;
}

export interface PodDiscoverySettings extends PodTableSettings {
  namespace: string;
  labelSelector: string;
  /** Bearer token for GET /v1/models (VLLM_API_KEY). */
  apiKey?: string;
  modelsTimeoutMs: number;
}

/**
 * `--service-discovery k8s`: watch the engine pods and rebuild the table on every change (no
 * polling: a pod turning Ready is routed to as soon as its models are known). Rebuilds run one at
 * a time; changes during one cause one more. A failed model lookup is retried after its backoff.
 */
export function followPods(app: TableSink, source: ListWatcher<V1Pod>, settings: PodDiscoverySettings, options: PodSourceOptions = {}): RoutingSource {
  const informer = new Informer<V1Pod>(source, options);
  const fetchModels = options.fetchModels ?? ((url: string) => fetchEngineModels(url, { timeoutMs: settings.modelsTimeoutMs, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) }));
  const models = new EngineModelCache(fetchModels, options.modelRetry ? { retry: options.modelRetry } : {});
  let running: Promise<void> | undefined;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  const rebuild = async (): Promise<void> => {
    clearTimeout(retryTimer);
    const pods = informer.list();
    const lookups = await models.lookup(podModelRefs(pods, settings.port));
    if (stopped) return;
    app.applyTable(podsToTable(pods, lookups.results, settings), 'k8s');
    if (lookups.retryInMs !== undefined) {
      retryTimer = setTimeout(schedule, lookups.retryInMs);
      retryTimer.unref();
    }
  };
  function schedule(): void {
    if (stopped || !informer.hasSynced) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await rebuild().catch((err: unknown) => app.rejectConfig('k8s', err instanceof Error ? err.message : String(err)));
      } while (again && !stopped);
      running = undefined;
    })();
  }

  informer.handle({
    add: schedule,
    update: schedule,
    delete: schedule,
    synced: schedule,
    connected: () => app.setComponentFailure(K8S_COMPONENT, undefined),
    error: (err, retryInMs) => app.setComponentFailure(K8S_COMPONENT, `watching pods failed (retrying in ${retryInMs} ms): ${err.message}`),
  });
  informer.start();
  return {
    name: `k8s pods ${settings.namespace}/${settings.labelSelector || '(all)'}`,
    stop: async () => {
      stopped = true;
      clearTimeout(retryTimer);
      await informer.stop();
      await running;
    },
  };
}

/** The engine pods, through the API; `watchTimeoutSeconds` 0 keeps the list-watcher's default. */
export function podListWatcher(client: KubeClient, namespace: string, labelSelector: string, watchTimeoutSeconds = 0): ListWatcher<V1Pod> {
  return kubeListWatcher<V1Pod>(client, {
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    labelSelector,
    ...(watchTimeoutSeconds > 0 ? { watchTimeoutSeconds } : {}),
  });
}
