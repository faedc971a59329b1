import type { V1ConfigMap } from '@kubernetes/client-node';
import { Informer, type InformerOptions, type ListWatcher } from '@vllm-router/common';
import type { KubeClient } from '@vllm-router/common';
import { kubeListWatcher } from '@vllm-router/common';
import type { RoutingSource, TableSink } from './routing-source.js';

/** The ConfigMap key the operator writes the table under. */
export const ROUTING_CONFIGMAP_KEY = 'routing.json';

/** /health components: the watch itself, and the ConfigMap being there. */
export const CONFIGMAP_COMPONENTS = { watch: 'configmap-discovery', missing: 'routing-configmap' } as const;

/**
 * `--service-discovery configmap --routing-configmap ns/name`: watch that one ConfigMap (list+watch
 * with a metadata.name field selector, which a Role limited to resourceNames allows) and apply its
 * routing.json the moment it changes. A table that is not JSON, or that the validator refuses, is
 * rejected and the last good one stays; a failing watch or a missing ConfigMap makes /health 503.
 */
export function followRoutingConfigMap(app: TableSink, source: ListWatcher<V1ConfigMap>, ref: string, options: InformerOptions = {}): RoutingSource {
  const [namespace = '', name = ''] = ref.split('/');
  const informer = new Informer<V1ConfigMap>(source, options);
  const apply = (cm: V1ConfigMap) => {
    app.setComponentFailure(CONFIGMAP_COMPONENTS.missing, undefined);
    const text = cm.data?.[ROUTING_CONFIGMAP_KEY];
    if (text === undefined) return app.rejectConfig('configmap', `ConfigMap ${ref} has no key ${ROUTING_CONFIGMAP_KEY}`);
    let table: unknown;
    try {
      table = JSON.parse(text);
    } catch (err) {
      return app.rejectConfig('configmap', `ConfigMap ${ref} key ${ROUTING_CONFIGMAP_KEY} is not JSON: ${(err as Error).message}`);
    }
    app.applyTable(table, 'configmap');
  };
  const missing = () => app.setComponentFailure(CONFIGMAP_COMPONENTS.missing, `ConfigMap ${ref} not found; keeping the last routing table`);
  informer.handle({
    add: apply,
    update: apply,
    delete: missing,
    synced: () => {
      if (!informer.get(namespace, name)) missing();
    },
    connected: () => app.setComponentFailure(CONFIGMAP_COMPONENTS.watch, undefined),
    error: (err, retryInMs) => app.setComponentFailure(CONFIGMAP_COMPONENTS.watch, `watching ConfigMap ${ref} failed (retrying in ${retryInMs} ms): ${err.message}`),
  });
  informer.start();
  return { name: `configmap ${ref}`, stop: () => informer.stop() };
}

/** The one ConfigMap `ns/name`, through the API (a field selector, so a Role with resourceNames suffices). */
export function configMapListWatcher(client: KubeClient, ref: string): ListWatcher<V1ConfigMap> {
  const [namespace = '', name = ''] = ref.split('/');
  return kubeListWatcher<V1ConfigMap>(client, { path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`, fieldSelector: `metadata.name=${name}` });
}
