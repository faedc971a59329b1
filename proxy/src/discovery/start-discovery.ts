import { ConfigError } from '../config/errors.js';
import type { ProxyOptions } from '../config/options.js';
import { roleLabelsOf } from '../config/role-options.js';
import { configMapListWatcher, followRoutingConfigMap } from './configmap-source.js';
import { followPods, podListWatcher } from './k8s-pod-source.js';
import { KubeClient } from '@vllm-router/common';
import { followRoutingFile } from './routing-file-source.js';
import type { RoutingSource, TableSink } from './routing-source.js';

function kubeClient(flag: string): KubeClient {
  try {
    return KubeClient.load();
  } catch (err) {
    throw new ConfigError(flag, undefined, `needs access to the Kubernetes API ($KUBECONFIG, ~/.kube/config or an in-cluster service account): ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Starts the table source the options name: the routing ConfigMap (or its mounted file), or pod
 * discovery. Static discovery needs none (main applies the static table). Returns at once; the
 * first table arrives when the list completes, and /health says "no routing table" until then.
 */
export async function startDiscovery(app: TableSink, options: ProxyOptions): Promise<RoutingSource | undefined> {
  switch (options.serviceDiscovery) {
    case 'static':
    case 'external-only':
      return undefined;
    case 'configmap':
      if (options.routingConfigmap) return followRoutingConfigMap(app, configMapListWatcher(kubeClient('--routing-configmap'), options.routingConfigmap), options.routingConfigmap);
      if (options.routingFile) return followRoutingFile(app, options.routingFile);
      throw new ConfigError('--routing-configmap', undefined, 'or --routing-file is required when service discovery is configmap');
    case 'k8s':
      return followPods(app, podListWatcher(kubeClient('--service-discovery k8s'), options.k8sNamespace, options.k8sLabelSelector, options.k8sWatcherTimeoutSeconds), {
        namespace: options.k8sNamespace,
        labelSelector: options.k8sLabelSelector,
        port: options.k8sPort,
        routingLogic: options.routingLogic,
        ...(options.sessionKey ? { sessionKey: options.sessionKey } : {}),
        aliases: options.staticAliases,
        roleLabels: roleLabelsOf(options),
        ...(options.backendApiKey ? { apiKey: options.backendApiKey } : {}),
        modelsTimeoutMs: options.staticBackendHealthCheckTimeoutSeconds * 1000,
      });
  }
}
