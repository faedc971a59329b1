/**
 * helm install into the local control plane, then the operator run locally exactly as the chart's
 * Deployment would run it: the same flags, authenticated as the chart's ServiceAccount, so the
 * chart's RBAC is what is exercised. kwok runs the pods (Ready, 127.1.x.y IPs) but no containers,
 * so a vllm-engine-sim listens on each engine pod's IP, and the proxy is run locally with the flags
 * the operator gave its Deployment, as the proxy's own ServiceAccount.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Lease, V1Pod } from '@kubernetes/client-node';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { getJson, waitFor } from '../operator/harness/kube.js';
import { startOperatorProcess, type OperatorProcess } from '../operator/harness/operator-process.js';
import { PodSimulators } from '../operator/harness/pod-simulators.js';
import { serviceAccountKubeconfig } from '../operator/harness/service-account.js';
import { CHART, helm, valuesFile } from './harness/helm.js';
import { kubectl } from './harness/kube.js';

const ns = `chart-install-${process.pid}`;
const release = `chart-${process.pid}`;
const fullname = `${release}-vllm-router`;
const ENGINE_PORT = 18700;
const values = {
  operator: { replicas: 2, logLevel: 'debug', logFormat: 'text' }, // two replicas: leader election on the chart's Lease
  router: { name: 'llm', spec: { aliases: { gpt4: 'sim-llama' } } },
  engines: { port: ENGINE_PORT, models: [{ name: 'llama', model: 'sim-llama', replicas: 2, image: { repository: 'vllm/vllm-openai', tag: 'kwok-runs-nothing' } }] },
};

interface RouterObject {
  status?: { engines?: string; models?: string[]; url?: string; conditions?: { type: string; status: string; reason: string }[] };
}

/** Drops `--flag value` and `--flag=value` for the given flags (the local run sets its own). */
function without(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (flags.some((f) => arg.startsWith(`${f}=`))) continue;
    if (flags.includes(arg)) i++;
    else out.push(arg);
  }
  return out;
}

describe('helm install, then the operator as the chart ServiceAccount', () => {
  let cluster: Cluster;
  let sims: PodSimulators | undefined;
  let operator: OperatorProcess | undefined;
  let proxy: RouterProcess | undefined;
  let installOutput = '';
  const getRouter = () => getJson<RouterObject>(cluster, ['-n', ns, 'vllmrouter', 'llm']);
  const canI = async (verb: string, resource: string) =>
    (await kubectl(cluster, ['auth', 'can-i', verb, resource, '-n', ns, `--as=system:serviceaccount:${ns}:${fullname}-operator`])).stdout.trim();

  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.kubectlRun(['create', 'namespace', ns]);
    sims = new PodSimulators({
      kubeconfig: cluster.kubeconfig,
      namespace: ns,
      labelSelector: 'router.vllm.ai/router=llm',
      port: ENGINE_PORT,
      simFor: (pod: V1Pod) => ({ models: [pod.metadata?.annotations?.['router.vllm.ai/model'] ?? 'unknown'] }),
    });
    await sims.start();
    const installed = await helm(['install', release, CHART, '-n', ns, '-f', valuesFile(values), '--wait', '--timeout', '90s'], { KUBECONFIG: cluster.kubeconfig });
    if (installed.code !== 0) throw new Error(`helm install failed: ${installed.stderr}`);
    installOutput = installed.stdout;

    const deployment = await getJson<V1Deployment>(cluster, ['-n', ns, 'deployment', `${fullname}-operator`]);
    const args = without(deployment?.spec?.template.spec?.containers[0]?.args ?? [], ['--metrics-port']);
    const token = await serviceAccountKubeconfig(cluster, ns, `${fullname}-operator`);
    operator = await startOperatorProcess(token, args);
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await operator?.stop();
    await sims?.stop();
    await helm(['uninstall', release, '-n', ns], { KUBECONFIG: cluster.kubeconfig }).catch(() => undefined);
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('prints the in-cluster OpenAI base URL and the next command', () => {
    expect(installOutput).toContain(`http://llm.${ns}.svc:80/v1`);
    expect(installOutput).toContain(`kubectl get vllmrouters -n ${ns} -w`);
  });

  it('reconciles the sample VLLMRouter to Ready=True over the chart’s engines', async () => {
    const router = await waitFor('the VLLMRouter to be Ready', async () => {
      const r = await getRouter();
      return r?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? r : undefined;
    }, 60_000, 200).catch((err: unknown) => {
      throw new Error(`${String(err)}\noperator log (last 3000 characters):\n${operator?.output().slice(-3000)}`);
    });
    expect(router.status).toMatchObject({ engines: '2/2', models: ['sim-llama'], url: `http://llm.${ns}.svc:80/v1` });
    const table = await cluster.kubectlRun(['get', 'vllmrouters', '-n', ns]);
    expect(table.trim().split('\n')[1]).toMatch(new RegExp(`^llm\\s+roundrobin\\s+2/2\\s+sim-llama\\s+1\\s+http://llm\\.${ns}\\.svc:80/v1\\s+True\\s+\\d+s$`));
  }, 70_000);

  it('was never refused by RBAC, and leads through the chart’s Lease', async () => {
    // RBAC refusals read `... is forbidden: User "system:serviceaccount:..." cannot <verb> resource ...`;
    // other tests' namespaces being deleted refuse Events with a different "forbidden".
    expect(operator?.output()).not.toMatch(/forbidden: User|cannot (get|list|watch|create|patch|update|delete) resource/i);
    const lease = await getJson<V1Lease>(cluster, ['-n', ns, 'lease', `${fullname}-operator`]);
    expect(lease?.spec?.holderIdentity).toBeTruthy();
    expect(operator?.output()).toContain('became leader');
  });

  it('holds no more than it needs', async () => {
    expect(await canI('patch', 'deployments')).toBe('yes');
    expect(await canI('delete', 'deployments')).toBe('no');
    expect(await canI('get', 'secrets')).toBe('no');
    expect(await canI('create', 'leases')).toBe('no');
    expect(await canI('update', `leases/${fullname}-operator`)).toBe('yes');
    expect(await canI('update', 'leases/someone-elses')).toBe('no');
  });

  it('routes OpenAI requests with the proxy flags the operator wrote, as the proxy ServiceAccount', async () => {
    const deployment = await getJson<V1Deployment>(cluster, ['-n', ns, 'deployment', 'llm']);
    const args = without(deployment?.spec?.template.spec?.containers[0]?.args ?? [], ['--host', '--port']);
    proxy = await spawnRouter(args, 15_000, { KUBECONFIG: await serviceAccountKubeconfig(cluster, ns, 'llm-router') });
    await waitFor('the proxy to load the table', async () => ((await fetch(`${proxy!.url}/health`)).ok ? true : undefined));
    const chat = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt4', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }),
    });
    expect(chat.status).toBe(200);
    const engines = (await (await fetch(`${proxy.url}/engines`)).json()) as unknown[];
    expect(JSON.stringify(engines)).toContain('sim-llama');
    expect(sims?.running).toHaveLength(2);
  });

  it('helm upgrade keeps the Lease holder and the router Ready', async () => {
    const holder = async () => (await getJson<V1Lease>(cluster, ['-n', ns, 'lease', `${fullname}-operator`]))?.spec?.holderIdentity;
    const before = await holder();
    const upgraded = await helm(['upgrade', release, CHART, '-n', ns, '-f', valuesFile({ ...values, operator: { ...values.operator, workers: 3 } }), '--wait', '--timeout', '60s'], { KUBECONFIG: cluster.kubeconfig });
    expect(upgraded.stderr).toBe('');
    expect(await holder()).toBe(before);
    const args = (await getJson<V1Deployment>(cluster, ['-n', ns, 'deployment', `${fullname}-operator`]))?.spec?.template.spec?.containers[0]?.args;
    expect(args).toContain('--workers=3');
    expect((await getRouter())?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('leaves nothing but the CRD after helm uninstall', async () => {
    await proxy?.stop();
    const uninstalled = await helm(['uninstall', release, '-n', ns, '--wait'], { KUBECONFIG: cluster.kubeconfig });
    expect(uninstalled.code).toBe(0);
    await operator?.stop();
    const kinds = 'deployments,replicasets,pods,services,configmaps,serviceaccounts,roles,rolebindings,leases,vllmrouters';
    const defaults = ['configmap/kube-root-ca.crt', 'serviceaccount/default'];
    // The garbage collector removes the operator's objects (owner references), within its 30 s rediscovery.
    await waitFor('the namespace to be empty', async () => {
      const left = (await cluster.kubectlRun(['get', kinds, '-n', ns, '-o', 'name'])).trim().split('\n').filter((l) => l && !defaults.includes(l));
      return left.length === 0 ? true : undefined;
    }, 50_000, 500);
    const clusterScoped = await cluster.kubectlRun(['get', 'clusterroles,clusterrolebindings', '-o', 'name']);
    expect(clusterScoped).not.toContain(fullname);
    expect((await cluster.kubectlRun(['get', 'crd', 'vllmrouters.router.vllm.ai', '-o', 'name'])).trim()).toBe('customresourcedefinition.apiextensions.k8s.io/vllmrouters.router.vllm.ai');
  }, 90_000);
});
