/**
 * Disaggregated prefill on a local control plane: prefill and decode engine pods (kwok pods played
 * by simulators with --role prefill|decode), selected by a VLLMRouter through their role label and
 * routed by the proxy in ConfigMap mode; and the proxy watching such pods itself
 * (--service-discovery k8s), with roles from the pods' model label as the reference router reads them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { V1Pod } from '@kubernetes/client-node';
import OpenAI from 'openai';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import type { EngineSim } from '../sim/index.js';
import { apply, engineDeployment, getJson, installCrd, waitFor } from './harness/kube.js';
import { startOperatorProcess, type OperatorProcess } from './harness/operator-process.js';
import { PodSimulators } from './harness/pod-simulators.js';

const CRD = fileURLToPath(new URL('../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url));
const ns = `pd-test-${process.pid}`;
const ENGINE_PORT = 18002;
const ROLE = 'router.vllm.ai/role';

interface RouterObject {
  status?: {
    engines?: string;
    prefillEngines?: string;
    decodeEngines?: string;
    endpoints?: { pod?: string; role?: string }[];
    conditions?: { type: string; status: string; reason: string }[];
  };
}

/** A simulator per pod, its role from `roleOf(pod)`. */
const simulators = (cluster: Cluster, selector: string, roleOf: (pod: V1Pod) => string | undefined, kvConnector: 'nixl' | 'lmcache' = 'nixl') =>
  new PodSimulators({
    kubeconfig: cluster.kubeconfig,
    namespace: ns,
    labelSelector: selector,
    port: ENGINE_PORT,
    simFor: (pod) => {
      const role = roleOf(pod);
      return { models: ['llama'], outputTokens: 4, kvConnector, ...(role === 'prefill' || role === 'decode' ? { role } : {}) };
    },
  });

describe('disaggregated prefill on a local control plane', () => {
  let cluster: Cluster;
  let operator: OperatorProcess | undefined;
  let proxy: RouterProcess | undefined;
  let podSims: PodSimulators | undefined;

  const getRouter = () => getJson<RouterObject>(cluster, ['-n', ns, 'vllmrouter', 'pd']);
  const podsOf = async (selector: string) => ((await getJson<{ items: V1Pod[] }>(cluster, ['-n', ns, 'pods', '-l', selector]))?.items ?? []).map((p) => p.metadata?.name ?? '').sort();
  const chatRequests = async (sims: PodSimulators, pods: string[]) =>
    Promise.all(pods.map(async (p) => ((await sims.sim(p)) as EngineSim | undefined)?.stats.requests['/v1/chat/completions'] ?? 0));

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrd(cluster, CRD);
    await cluster.kubectlRun(['create', 'namespace', ns]);
    podSims = simulators(cluster, 'app=pd', (pod) => pod.metadata?.labels?.[ROLE]);
    await podSims.start();
    // An admin kubeconfig: the operator's and the proxy's RBAC are what operator.test.ts checks.
    operator = await startOperatorProcess(cluster.kubeconfig, ['--namespace', ns]);
    await apply(
      cluster,
      engineDeployment(ns, 'llama-prefill', 1, { app: 'pd', [ROLE]: 'prefill' }),
      engineDeployment(ns, 'llama-decode', 2, { app: 'pd', [ROLE]: 'decode' }),
      {
        apiVersion: 'router.vllm.ai/v1alpha1',
        kind: 'VLLMRouter',
        metadata: { name: 'pd', namespace: ns },
        spec: { engines: { selector: { matchLabels: { app: 'pd' } }, port: ENGINE_PORT }, routing: { logic: 'disaggregated_prefill_orchestrated' } },
      },
    );
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await operator?.stop();
    await podSims?.stop();
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('counts ready/total engines per role in status and in kubectl get -o wide, with the logic', async () => {
    const r = await waitFor('1 prefill and 2 decode engines ready', async () => {
      const got = await getRouter();
      return got?.status?.prefillEngines === '1/1' && got.status.decodeEngines === '2/2' ? got : undefined;
    }, 30_000);
    expect(r.status?.engines).toBe('3/3');
    expect(r.status?.conditions?.find((c) => c.type === 'EnginesAvailable')).toMatchObject({ status: 'True' });
    expect(r.status?.endpoints?.map((e) => e.role).sort()).toEqual(['decode', 'decode', 'prefill']);
    const [header, row] = (await cluster.kubectlRun(['-n', ns, 'get', 'vllmrouters', '-o', 'wide'])).trim().split('\n');
    expect(header?.split(/\s+/).slice(0, 5)).toEqual(['NAME', 'LOGIC', 'ENGINES', 'PREFILL', 'DECODE']);
    expect(row).toMatch(/^pd\s+disaggregated_prefill_orchestrated\s+3\/3\s+1\/1\s+2\/2\s/);
  });

  it('routes through the operator\'s table: the prompt on the prefill pod, the answer from a decode pod', async () => {
    proxy = await spawnRouter(['--service-discovery', 'configmap', '--routing-configmap', `${ns}/pd-routing`, '--routing-logic', 'disaggregated_prefill_orchestrated'], 15_000, {
      KUBECONFIG: cluster.kubeconfig,
    });
    await waitFor('the proxy to load the table', async () => ((await fetch(`${proxy!.url}/health`)).ok ? true : undefined));
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 5000 });
    const prefillPods = await podsOf(`app=pd,${ROLE}=prefill`);
    const decodePods = await podsOf(`app=pd,${ROLE}=decode`);
    const answered = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const reply = await client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: `question ${i}` }] });
      expect(reply.choices[0]?.message.content).toBe('the old fox ran');
      answered.add(reply.system_fingerprint ?? '');
    }
    expect([...answered].sort()).toEqual(decodePods);
    expect(await chatRequests(podSims!, prefillPods)).toEqual([4]);
    expect(podSims?.errors).toEqual([]);
  });

  it('marks EnginesAvailable False with NoReadyDecodeEngines when the decode pods go away', async () => {
    await cluster.kubectlRun(['-n', ns, 'scale', 'deployment', 'llama-decode', '--replicas=0']);
    const r = await waitFor('no decode engine', async () => {
      const got = await getRouter();
      return got?.status?.conditions?.find((c) => c.type === 'EnginesAvailable')?.reason === 'NoReadyDecodeEngines' ? got : undefined;
    }, 30_000);
    expect(r.status?.decodeEngines).toBe('0/0');
    await waitFor('the proxy to answer 503 no_decode_engine', async () => {
      const res = await fetch(`${proxy!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const body = (await res.json()) as { error?: { code: string } };
      return res.status === 503 && body.error?.code === 'no_decode_engine' ? true : undefined;
    });
    expect(await chatRequests(podSims!, await podsOf(`app=pd,${ROLE}=prefill`))).toEqual([4]); // no prefill without a decode engine
  });

  it('works without the operator: --service-discovery k8s gives pods roles from their model label', async () => {
    const roleOf = (pod: V1Pod) => new Map([['llama-prefill', 'prefill'], ['llama-decode', 'decode']]).get(pod.metadata?.labels?.model ?? '');
    // LMCache mode (disaggregated_prefill): the decode simulator looks for the KV in its peers
    // (none here, so it computes the prompt itself) and needs no kv_transfer_params.
    const k8sSims = simulators(cluster, 'app=pd-k8s', roleOf, 'lmcache');
    await k8sSims.start();
    let k8sProxy: RouterProcess | undefined;
    try {
      await apply(
        cluster,
        engineDeployment(ns, 'k8s-prefill', 1, { app: 'pd-k8s', model: 'llama-prefill' }),
        engineDeployment(ns, 'k8s-decode', 1, { app: 'pd-k8s', model: 'llama-decode' }),
      );
      k8sProxy = await spawnRouter(
        [
          '--service-discovery', 'k8s', '--k8s-namespace', ns, '--k8s-label-selector', 'app=pd-k8s', '--k8s-port', String(ENGINE_PORT),
          '--routing-logic', 'disaggregated_prefill', '--prefill-model-labels', 'llama-prefill', '--decode-model-labels', 'llama-decode',
        ],
        15_000,
        { KUBECONFIG: cluster.kubeconfig },
      );
      const url = k8sProxy.url;
      const engines = await waitFor('both pods with their roles', async () => {
        const list = (await (await fetch(`${url}/engines`)).json()) as Array<{ engine_id: string; role?: string; ready: boolean }>;
        return list.length === 2 && list.every((e) => e.ready) ? list : undefined;
      }, 20_000);
      expect(engines.map((e) => e.role).sort()).toEqual(['decode', 'prefill']);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 5000 });
      const reply = await client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
      expect(reply.system_fingerprint).toBe(engines.find((e) => e.role === 'decode')!.engine_id);
      const prefillPod = engines.find((e) => e.role === 'prefill')!.engine_id;
      expect(await chatRequests(k8sSims, [prefillPod])).toEqual([1]);
    } finally {
      await k8sProxy?.stop();
      await k8sSims.stop();
    }
  });
});
