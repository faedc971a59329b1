import { PATCH, canonicalJson, type KubeClient } from '@vllm-router/common';
import { API_VERSION, FIELD_MANAGER, KIND } from '../api/constants.js';
import type { VLLMRouter, VLLMRouterStatus } from '../api/types.js';
import { routerCollection } from './paths.js';

/** Writes a VLLMRouter's status through the status subresource (server-side apply); skips equal status. */
export async function writeStatus(client: KubeClient, router: VLLMRouter, status: VLLMRouterStatus): Promise<boolean> {
  if (router.status && canonicalJson(router.status) === canonicalJson(status)) return false;
  const namespace = router.metadata.namespace ?? '';
  const name = router.metadata.name ?? '';
  await client.request({
    method: 'PATCH',
    path: `${routerCollection(namespace)}/${encodeURIComponent(name)}/status`,
    query: { fieldManager: FIELD_MANAGER, force: true },
    contentType: PATCH.apply,
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, status },
  });
  return true;
}
