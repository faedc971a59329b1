import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, FIELD_MANAGER, KIND, LABELS } from '../api/constants.js';
import type { VLLMRouter } from '../api/types.js';

/** Names of everything a VLLMRouter owns. The Service is named like the router so the URL reads well. */
export function childNames(name: string) {
  return {
    configMap: `${name}-routing`,
    deployment: name,
    service: name,
    serviceAccount: `${name}-router`,
    role: `${name}-router`,
    roleBinding: `${name}-router`,
  };
}

/** Labels on the proxy pods; the first two are the Deployment's (immutable) selector. */
export function proxyLabels(name: string): Record<string, string> {
  return { [LABELS.name]: 'vllm-router', [LABELS.instance]: name, [LABELS.component]: 'proxy', [LABELS.managedBy]: FIELD_MANAGER };
}

export function proxySelector(name: string): Record<string, string> {
  return { [LABELS.name]: 'vllm-router', [LABELS.instance]: name };
}

/** The controller owner reference: the garbage collector deletes the child when the router goes. */
export function ownerReference(router: VLLMRouter): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: router.metadata.name ?? '',
    uid: router.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of an owned object: name, the router's namespace, labels and the owner reference. */
export function childMeta(router: VLLMRouter, name: string, component: string): V1ObjectMeta {
  return {
    name,
    namespace: router.metadata.namespace ?? '',
    labels: { ...proxyLabels(router.metadata.name ?? ''), [LABELS.component]: component },
    ownerReferences: [ownerReference(router)],
  };
}
