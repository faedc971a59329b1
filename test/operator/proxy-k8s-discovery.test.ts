/**
 * The proxy without the operator (`--service-discovery k8s`), as the reference router runs: it
 * watches engine pods itself and learns their models from GET /v1/models.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { apply, engineDeployment, waitFor } from './harness/kube.js';
import { PodSimulators } from './harness/pod-simulators.js';

const ns = `k8s-disc-${process.pid}`;
const ENGINE_PORT = 18001;

describe('vllm-router --service-discovery k8s on a local control plane', () => {
  let cluster: Cluster;
  let sims: PodSimulators | undefined;
  let proxy: RouterProcess | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.kubectlRun(['create', 'namespace', ns]);
    sims = new PodSimulators({ kubeconfig: cluster.kubeconfig, namespace: ns, labelSelector: 'app=vllm', port: ENGINE_PORT, simFor: () => ({ models: ['qwen', 'qwen-lora'] }) });
    await sims.start();
    await apply(cluster, engineDeployment(ns, 'qwen', 2, { app: 'vllm' }));
    proxy = await spawnRouter(
      ['--service-discovery', 'k8s', '--k8s-namespace', ns, '--k8s-label-selector', 'app=vllm', '--k8s-port', String(ENGINE_PORT), '--routing-logic', 'roundrobin'],
      15_000,
      { KUBECONFIG: cluster.kubeconfig },
    );
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await sims?.stop();
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('routes to the ready pods it finds, with the models (and adapters) they list', async () => {
    const client = new OpenAI({ baseURL: `${proxy!.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 5000 });
    const engines = await waitFor('both pods in rotation', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const r = await client.chat.completions.create({ model: 'qwen-lora', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
        seen.add(r.system_fingerprint ?? '');
      }
      return seen.size === 2 ? [...seen].sort() : undefined;
    }, 15_000);
    expect(engines).toEqual(sims!.running);
    const health = (await (await fetch(`${proxy!.url}/health`)).json()) as { status: string; routing_table: { source: string; ready_engines: number } };
    expect(health).toMatchObject({ status: 'healthy', routing_table: { source: 'k8s', ready_engines: 2 } });
  });
});
