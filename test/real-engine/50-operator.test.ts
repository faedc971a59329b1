/**
 * The operator path with a real engine: kwok runs an engine pod whose IP is a loopback address,
 * a real vLLM listens on that IP, the operator learns its model from the engine's own /v1/models,
 * writes the routing ConfigMap, and the proxy (ConfigMap mode) routes to it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import OpenAI from 'openai';
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { apply, engineDeployment, getJson, installCrd, waitFor } from '../operator/harness/kube.js';
import { startOperatorProcess, type OperatorProcess } from '../operator/harness/operator-process.js';
import { serviceAccountKubeconfig } from '../operator/harness/service-account.js';
import { addEngine, readPool, removeEngine, vllmSpec } from './harness/pool.js';

const CRD = fileURLToPath(new URL('../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url));
const OPERATOR_RBAC = fileURLToPath(new URL('../../operator/deploy/rbac.yaml', import.meta.url));
const ns = `real-engine-${process.pid}`;
const ENGINE_PORT = 18100;

describe('the operator path with a real vLLM in an engine pod', () => {
  let cluster: Cluster;
  let operator: OperatorProcess | undefined;
  let proxy: RouterProcess | undefined;
  let podIp: string;

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrd(cluster, CRD);
    await cluster.kubectlRun(['create', 'namespace', ns]);
    await apply(cluster, engineDeployment(ns, 'tiny', 1, { app: 'tiny-engine' }));
    podIp = await waitFor('the engine pod\'s IP', async () => {
      const pods = (await getJson<{ items: V1Pod[] }>(cluster, ['-n', ns, 'pods', '-l', 'app=tiny-engine']))?.items ?? [];
      return pods[0]?.status?.podIP;
    }, 30_000);
    // At most two engines at once: the pod's engine replaces vLLM engine b.
    await removeEngine('b');
    await addEngine(vllmSpec('pod', podIp, ['tiny'], 1, ENGINE_PORT));
    await cluster.kubectlRun(['apply', '--server-side', '--force-conflicts', '-f', OPERATOR_RBAC]);
    operator = await startOperatorProcess(await serviceAccountKubeconfig(cluster, 'vllm-router-system', 'vllm-router-operator'), ['--namespace', ns, '--log-level', 'debug']);
    await apply(cluster, {
      apiVersion: 'router.vllm.ai/v1alpha1',
      kind: 'VLLMRouter',
      metadata: { name: 'llm', namespace: ns },
      spec: { engines: { selector: { matchLabels: { app: 'tiny-engine' } }, port: ENGINE_PORT }, aliases: { small: 'tiny' } },
    });
    await waitFor('the VLLMRouter to see the engine', async () => {
      const r = await getJson<{ status?: { engines?: string; models?: string[] } }>(cluster, ['-n', ns, 'vllmrouter', 'llm']);
      return r?.status?.engines === '1/1' ? r : undefined;
    }, 60_000);
    proxy = await spawnRouter(['--service-discovery', 'configmap', '--routing-configmap', `${ns}/llm-routing`, '--routing-logic', 'roundrobin'], 15_000, {
      KUBECONFIG: await serviceAccountKubeconfig(cluster, ns, 'llm-router'),
    });
    await waitFor('the proxy to load the table', async () => ((await fetch(`${proxy!.url}/health`)).ok ? true : undefined));
  }, 420_000);

  afterAll(async () => {
    await proxy?.stop();
    await operator?.stop();
    await removeEngine('pod');
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.kubectlRun(['delete', '-f', OPERATOR_RBAC, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 120_000);

  it('learns the model from the real engine and routes to the pod\'s IP through the proxy', async () => {
    const r = await getJson<{ status?: { models?: string[] } }>(cluster, ['-n', ns, 'vllmrouter', 'llm']);
    expect(r?.status?.models).toEqual(['tiny']);
    const client = new OpenAI({ baseURL: `${proxy!.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
    const answer = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hello' }], max_tokens: 3 });
    expect(answer.usage?.completion_tokens).toBe(3);
    const engines = (await (await fetch(`${proxy!.url}/engines`)).json()) as Array<{ url: string; healthy: boolean }>;
    expect(engines).toEqual([expect.objectContaining({ url: `http://${podIp}:${ENGINE_PORT}`, healthy: true })]);
    const models = await client.models.list();
    expect(models.data.find((m) => m.id === 'tiny')).toMatchObject({ owned_by: 'vllm', max_model_len: 1024, root: readPool().prepared.TINY_MODEL });
  });
});
