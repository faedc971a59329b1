/** Named builders for unit tests: routers and pods as the API server would hand them over. */
import type { V1Pod } from '@kubernetes/client-node';
import type { VLLMRouter, VLLMRouterSpec } from '../api/types.js';

export function routerOf(spec: VLLMRouterSpec = {}, overrides: Partial<VLLMRouter['metadata']> = {}): VLLMRouter {
  return {
    apiVersion: 'router.vllm.ai/v1alpha1',
    kind: 'VLLMRouter',
    metadata: { name: 'llm', namespace: 'team-a', uid: 'uid-llm', generation: 3, ...overrides },
    spec: { engines: { selector: { matchLabels: { app: 'engine' } } }, ...spec },
  };
}

export interface PodShape {
  name: string;
  ip?: string;
  ready?: boolean;
  terminating?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
}

export function podOf(p: PodShape): V1Pod {
  const ready = p.ready ?? true;
  return {
    metadata: {
      name: p.name,
      namespace: 'team-a',
      uid: `uid-${p.name}`,
      resourceVersion: p.resourceVersion ?? '1',
      labels: { app: 'engine', ...p.labels },
      ...(p.annotations ? { annotations: p.annotations } : {}),
      ...(p.terminating ? { deletionTimestamp: new Date(0) } : {}),
    },
    status: {
      phase: 'Running',
      ...(p.ip ? { podIP: p.ip } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'engine', ready, image: 'vllm', imageID: '', restartCount: 0 }],
    },
  };
}
