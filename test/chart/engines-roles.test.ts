/** Engines from values as prefill and decode engines of a disaggregated VLLMRouter. */
import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { ROLE_LABEL } from '../../operator/src/reconcile/spec-defaults.js';
import { all, template, templateText, type Manifest } from './harness/helm.js';

const NIXL = { kv_connector: 'NixlConnector', kv_role: 'kv_both' };
const pd = {
  engines: {
    models: [
      { name: 'llama-prefill', model: 'meta-llama/Llama-3.1-8B-Instruct', role: 'prefill', kvTransferConfig: NIXL },
      { name: 'llama-decode', model: 'meta-llama/Llama-3.1-8B-Instruct', role: 'decode', replicas: 3, kvTransferConfig: NIXL, extraArgs: ['--max-model-len', '8192'] },
      { name: 'opt', model: 'facebook/opt-125m' },
    ],
  },
  router: { spec: { routing: { logic: 'disaggregated_prefill_orchestrated' } } },
};

const engines = (docs: Manifest[]) => all<V1Deployment>(docs, 'Deployment').filter((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'engine');
const container = (d: V1Deployment | undefined) => d?.spec?.template.spec?.containers[0] as V1Container;

describe('engines from values with a disaggregated prefill role', () => {
  it('label their pods with the role label the operator reads by default', async () => {
    const [prefill, decode, opt] = engines(await template(pd));
    expect(ROLE_LABEL).toBe('router.vllm.ai/role');
    expect(prefill?.spec?.template.metadata?.labels?.[ROLE_LABEL]).toBe('prefill');
    expect(decode?.spec?.template.metadata?.labels?.[ROLE_LABEL]).toBe('decode');
    expect(opt?.spec?.template.metadata?.labels).not.toHaveProperty(ROLE_LABEL);
    expect(decode?.spec?.replicas).toBe(3);
  });

  it('pass their KV connector as --kv-transfer-config JSON before extraArgs, and NIXL its side-channel host', async () => {
    const [prefill, decode, opt] = engines(await template(pd));
    expect(container(decode).args).toEqual([
      'meta-llama/Llama-3.1-8B-Instruct', '--host', '0.0.0.0', '--port', '8000',
      '--kv-transfer-config', JSON.stringify(NIXL),
      '--max-model-len', '8192',
    ]);
    expect(JSON.parse(container(prefill).args![6]!)).toEqual(NIXL);
    expect(container(prefill).env).toContainEqual({ name: 'VLLM_NIXL_SIDE_CHANNEL_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(container(opt).args).not.toContain('--kv-transfer-config');
    expect(container(opt).env?.map((e) => e.name)).not.toContain('VLLM_NIXL_SIDE_CHANNEL_HOST');
    const lmcache = engines(await template({ engines: { models: [{ name: 'p', model: 'm', role: 'prefill', kvTransferConfig: { kv_connector: 'LMCacheConnectorV1', kv_role: 'kv_producer' } }] } }));
    expect(container(lmcache[0]).env?.map((e) => e.name)).not.toContain('VLLM_NIXL_SIDE_CHANNEL_HOST');
  });

  it('are routed by the sample router with the disaggregated logic', async () => {
    const router = all<Manifest & { spec: { routing: { logic: string } } }>(await template(pd), 'VLLMRouter')[0];
    expect(router?.spec.routing.logic).toBe('disaggregated_prefill_orchestrated');
  });

  it.each([
    ['a role the router lacks', { role: 'both' }, '/engines/models/0/role'],
    ['a kv_role vLLM lacks', { kvTransferConfig: { kv_connector: 'NixlConnector', kv_role: 'kv_sender' } }, '/engines/models/0/kvTransferConfig/kv_role'],
  ])('refuses %s', async (_what, extra, message) => {
    const error = await templateText({ engines: { models: [{ name: 'x', model: 'm', ...extra }] } }).then(() => 'accepted', (err: unknown) => String(err));
    expect(error).toContain(message);
  });
});
