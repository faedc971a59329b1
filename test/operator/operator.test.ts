/**
 * The operator and the proxy on a real local control plane (test/cluster): a VLLMRouter and engine
 * Deployments go in through the API; kwok runs the pods (Ready, with 127.1.x.y IPs); simulators
 * listen on those IPs; the operator (a child process) publishes the routing ConfigMap; the proxy
 * (a child process, --service-discovery configmap) routes OpenAI SDK requests by it. Both run
 * with their own ServiceAccount's token, so the RBAC in operator/deploy/rbac.yaml and the Role the
 * operator gives the proxy are what is tested, not an admin's rights.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { V1Pod } from '@kubernetes/client-node';
import OpenAI from 'openai';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { apply, engineDeployment, getJson, installCrd, waitFor } from './harness/kube.js';
import { startOperatorProcess, type OperatorProcess } from './harness/operator-process.js';
import { PodSimulators } from './harness/pod-simulators.js';
import { serviceAccountKubeconfig } from './harness/service-account.js';

const CRD = fileURLToPath(new URL('../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url));
const OPERATOR_RBAC = fileURLToPath(new URL('../../operator/deploy/rbac.yaml', import.meta.url));
const ns = `op-test-${process.pid}`;
const ENGINE_PORT = 18000;

interface RouterObject {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    engines?: string;
    models?: string[];
    routingRevision?: string;
    url?: string;
    endpoints?: { pod?: string; ready: boolean; reason?: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

const router = (spec: Record<string, unknown>) => ({ apiVersion: 'router.vllm.ai/v1alpha1', kind: 'VLLMRouter', metadata: { name: 'llm', namespace: ns }, spec });
const baseSpec = { engines: { selector: { matchLabels: { app: 'engine' } }, port: ENGINE_PORT }, aliases: { gpt4: 'llama' } };

describe('vllm-router-operator on a local control plane', () => {
  let cluster: Cluster;
  let operator: OperatorProcess | undefined;
  let proxy: RouterProcess | undefined;
  let sims: PodSimulators | undefined;
  let client: OpenAI;

  const kubectl = (...args: string[]) => cluster.kubectlRun(['-n', ns, ...args]);
  const getRouter = () => getJson<RouterObject>(cluster, ['-n', ns, 'vllmrouter', 'llm']);
  const condition = (r: RouterObject | undefined, type: string) => r?.status?.conditions?.find((c) => c.type === type);
  const pods = async (label: string) => ((await getJson<{ items: V1Pod[] }>(cluster, ['-n', ns, 'pods', '-l', label]))?.items ?? []).filter((p) => !p.metadata?.deletionTimestamp);
  const chat = async (model: string, headers: Record<string, string> = {}) =>
    (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }, { headers })).system_fingerprint ?? '';
  /** Which engines answer `n` requests for `model`. */
  const servedBy = async (model: string, n: number) => {
    const engines = new Set<string>();
    for (let i = 0; i < n; i++) engines.add(await chat(model));
    return [...engines].sort();
  };
  const podNames = async (label: string) => (await pods(label)).map((p) => p.metadata?.name ?? '').sort();

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrd(cluster, CRD);
    await cluster.kubectlRun(['create', 'namespace', ns]);
    sims = new PodSimulators({ kubeconfig: cluster.kubeconfig, namespace: ns, labelSelector: 'app=engine', port: ENGINE_PORT });
    await sims.start();
    await cluster.kubectlRun(['apply', '--server-side', '--force-conflicts', '-f', OPERATOR_RBAC]);
    const operatorKubeconfig = await serviceAccountKubeconfig(cluster, 'vllm-router-system', 'vllm-router-operator');
    operator = await startOperatorProcess(operatorKubeconfig, ['--namespace', ns, '--log-level', 'debug', '--leader-elect', '--lease-namespace', 'vllm-router-system', '--lease-name', `op-test-${process.pid}`]);
    await apply(
      cluster,
      engineDeployment(ns, 'llama', 2, { app: 'engine', model: 'llama' }),
      engineDeployment(ns, 'opt', 1, { app: 'engine', model: 'opt-125m' }),
      router(baseSpec),
    );
    await waitFor('the routing ConfigMap with 3 ready engines', async () => {
      const r = await getRouter();
      return r?.status?.engines === '3/3' ? r : undefined;
    }, 30_000);
    const proxyKubeconfig = await serviceAccountKubeconfig(cluster, ns, 'llm-router'); // the account the operator made for the proxy
    proxy = await spawnRouter(['--service-discovery', 'configmap', '--routing-configmap', `${ns}/llm-routing`, '--routing-logic', 'roundrobin'], 15_000, { KUBECONFIG: proxyKubeconfig });
    client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 5000 });
    await waitFor('the proxy to load the table', async () => ((await fetch(`${proxy!.url}/health`)).ok ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await operator?.stop();
    await sims?.stop();
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    // Cluster-scoped RBAC from deploy/rbac.yaml would collide with the Helm chart's objects of the same names.
    await cluster?.kubectlRun(['delete', '-f', OPERATOR_RBAC, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('routes requests by model to the engine pods the selector matches', async () => {
    expect(await servedBy('llama', 4)).toEqual(await podNames('model=llama'));
    expect(await servedBy('opt-125m', 2)).toEqual(await podNames('model=opt-125m'));
    expect(await servedBy('gpt4', 2)).toEqual(await podNames('model=llama')); // the alias
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['gpt4', 'llama', 'opt-125m'].sort());
    expect(sims?.errors).toEqual([]);
  });

  it('reports engines, models, URL and conditions in status, and in kubectl get columns', async () => {
    const r = await getRouter();
    expect(r?.status).toMatchObject({ observedGeneration: r?.metadata.generation, engines: '3/3', models: ['llama', 'opt-125m'], url: `http://llm.${ns}.svc:80/v1` });
    const table = await kubectl('get', 'vllmrouters');
    const [header, row] = table.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'LOGIC', 'ENGINES', 'MODELS', 'PROXY', 'URL', 'READY', 'AGE']);
    expect(row).toMatch(new RegExp(`^llm\\s+roundrobin\\s+3/3\\s+llama,opt-125m\\s+1\\s+http://llm\\.${ns}\\.svc:80/v1\\s+True\\s+\\d+s$`));
    const configMap = await getJson<{ data: Record<string, string> }>(cluster, ['-n', ns, 'configmap', 'llm-routing']);
    expect(JSON.parse(configMap?.data['routing.json'] ?? '{}')).toMatchObject({ revision: r?.status?.routingRevision, source: 'configmap' });
  });

  it('routes to a pod added by scaling up, and stops routing to pods removed by scaling down', async () => {
    await kubectl('scale', 'deployment', 'llama', '--replicas=3');
    const three = await waitFor('3 llama pods', async () => ((await podNames('model=llama')).length === 3 ? podNames('model=llama') : undefined));
    await waitFor('requests to reach all 3 llama pods', async () => ((await servedBy('llama', 3)).join() === three.join() ? true : undefined), 15_000);

    await kubectl('scale', 'deployment', 'llama', '--replicas=1');
    const one = await waitFor('1 llama pod', async () => ((await podNames('model=llama')).length === 1 ? podNames('model=llama') : undefined));
    await waitFor('requests to reach only the remaining pod', async () => ((await servedBy('llama', 4)).join() === one.join() ? true : undefined), 15_000);
    await waitFor('status to count 2 engines', async () => ((await getRouter())?.status?.engines === '2/2' ? true : undefined));
  });

  it('stops routing to a pod that turns unready, and routes to it again when it is ready', async () => {
    await kubectl('scale', 'deployment', 'llama', '--replicas=2');
    const [a, b] = await waitFor('2 llama pods', async () => ((await podNames('model=llama')).length === 2 ? podNames('model=llama') : undefined));
    await waitFor('both llama pods in rotation', async () => ((await servedBy('llama', 2)).length === 2 ? true : undefined), 15_000);

    const setReady = async (pod: string, ready: boolean) => {
      const p = (await getJson<V1Pod>(cluster, ['-n', ns, 'pod', pod]))!;
      const conditionIndex = p.status?.conditions?.findIndex((c) => c.type === 'Ready') ?? -1;
      const patch = [
        { op: 'replace', path: `/status/conditions/${conditionIndex}/status`, value: ready ? 'True' : 'False' },
        { op: 'replace', path: '/status/containerStatuses/0/ready', value: ready },
      ];
      await kubectl('patch', 'pod', pod, '--subresource=status', '--type=json', '-p', JSON.stringify(patch));
    };
    await setReady(a!, false);
    await waitFor(`requests to avoid ${a}`, async () => ((await servedBy('llama', 4)).join() === b ? true : undefined), 10_000);
    const r = await waitFor('status to show the reason', async () => {
      const got = await getRouter();
      return got?.status?.endpoints?.find((e) => e.pod === a)?.reason === 'PodNotReady' ? got : undefined;
    });
    expect(r.status?.engines).toBe('2/3');

    await setReady(a!, true);
    await waitFor(`requests to reach ${a} again`, async () => ((await servedBy('llama', 2)).length === 2 ? true : undefined), 10_000);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.kind=VLLMRouter,involvedObject.name=llm', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}');
    expect(events).toContain('EngineAdded');
    expect(events).toContain('EngineRemoved');
  });

  it('applies an edit of the VLLMRouter: session routing keeps each user on one engine', async () => {
    await apply(cluster, router({ ...baseSpec, routing: { logic: 'session', sessionKey: 'x-user-id' } }));
    await waitFor('the proxy to switch to session routing', async () => {
      const health = (await (await fetch(`${proxy!.url}/health`)).json()) as { routing_table?: { routing_logic: string } };
      return health.routing_table?.routing_logic === 'session' ? true : undefined;
    });
    for (const user of ['alice', 'bob', 'carol']) {
      const engines = new Set<string>();
      for (let i = 0; i < 4; i++) engines.add(await chat('llama', { 'x-user-id': user }));
      expect(engines.size).toBe(1);
    }
    const r = await getRouter();
    expect(condition(r, 'Ready')?.status).toBe('True');
    expect(r?.status?.observedGeneration).toBe(r?.metadata.generation);
  });

  it('refuses an invalid VLLMRouter at the API server with the schema’s messages', async () => {
    const bad = router({ engines: { selector: {}, port: 70000 }, routing: { logic: 'session' } });
    const refused = await apply(cluster, { ...bad, metadata: { ...bad.metadata, name: 'bad' } }).then(
      () => '',
      (err: unknown) => String(err),
    );
    expect(refused).toContain('routing.sessionKey is required when routing.logic is session');
    expect(refused).toContain('engines.selector must have matchLabels or matchExpressions');
    expect(refused).toContain('spec.engines.port: Invalid value: 70000');
  });

  it('keeps the last good table published when an edit makes the table invalid, and says why', async () => {
    const before = (await getRouter())?.status?.routingRevision;
    await apply(cluster, router({ ...baseSpec, aliases: { llama: 'opt-125m' } })); // an alias shadowing a served model
    const r = await waitFor('ConfigValid=False', async () => {
      const got = await getRouter();
      return condition(got, 'ConfigValid')?.status === 'False' ? got : undefined;
    });
    expect(condition(r, 'ConfigValid')?.message).toContain('alias shadows a model an engine serves');
    expect(r.status?.routingRevision).toBe(before);
    expect((await servedBy('llama', 2)).length).toBe(2); // the proxy still routes on the last good table
    await apply(cluster, router(baseSpec));
    await waitFor('ConfigValid=True again', async () => (condition(await getRouter(), 'ConfigValid')?.status === 'True' ? true : undefined));
  });

  it('removes the ConfigMap, Deployment, Service and RBAC when the VLLMRouter is deleted', async () => {
    const owned = ['configmap/llm-routing', 'deployment/llm', 'service/llm', 'serviceaccount/llm-router', 'role/llm-router', 'rolebinding/llm-router'];
    expect((await kubectl('get', ...owned, '-o', 'name')).trim().split('\n')).toHaveLength(owned.length);
    await kubectl('delete', 'vllmrouter', 'llm', '--wait=false');
    // A ceiling, not a wait: on a cluster younger than the CRD's first 30 s, kube-controller-manager's
    // garbage collector cannot resolve VLLMRouter yet (it rediscovers resources every 30 s, fixed).
    await waitFor('the garbage collector to remove every owned object', async () => {
      const left = await kubectl('get', ...owned, '-o', 'name', '--ignore-not-found');
      return left.trim() === '' ? true : undefined;
    }, 45_000, 250);
  }, 60_000);
});
