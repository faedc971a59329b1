/** Names shared by the CRD, the operator and its tests. */
export const GROUP = 'router.vllm.ai';
export const API_VERSION_NAME = 'v1alpha1';
export const API_VERSION = `${GROUP}/${API_VERSION_NAME}`;
export const KIND = 'VLLMRouter';
export const PLURAL = 'vllmrouters';

/** Server-side apply field manager, and the managed-by label value. */
export const FIELD_MANAGER = 'vllm-router-operator';

/** The ConfigMap key holding the routing table. */
export const ROUTING_KEY = 'routing.json';

export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const ANNOTATIONS = {
  /** Hash of what the operator last applied to an object; equal hash means nothing to send. */
  appliedHash: `${GROUP}/applied-hash`,
  /** The routing table revision a ConfigMap holds. */
  revision: `${GROUP}/routing-revision`,
} as const;

/** Port the proxy container listens on (the Service maps spec.proxy.service.port to it). */
export const PROXY_CONTAINER_PORT = 8000;

export const DEFAULT_PROXY_IMAGE = 'ghcr.io/vllm-router/vllm-router:0.1.0';
