import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCluster, type Cluster } from './cluster.js';

const execFileAsync = promisify(execFile);

interface PodList {
  items: {
    metadata: { name: string; ownerReferences?: { kind: string }[] };
    spec: { nodeName?: string };
    status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
  }[];
}

const namespace = `cluster-test-${process.pid}`;

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'engine', namespace },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'engine' } },
    template: {
      metadata: { labels: { app: 'engine' } },
      spec: { containers: [{ name: 'engine', image: 'vllm/vllm-openai:fake', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
    },
  },
};

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('local control plane (test/cluster)', () => {
  let cluster: Cluster;
  const pods = async (): Promise<PodList['items']> =>
    (JSON.parse(await cluster.kubectlRun(['-n', namespace, 'get', 'pods', '-l', 'app=engine', '-o', 'json'])) as PodList).items;

  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.kubectlRun(['create', 'namespace', namespace]);
  }, 60 * 60 * 1000); // a cold cache builds the binaries first (about half an hour on 2 cores)

  afterAll(async () => {
    await cluster?.kubectlRun(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 60_000);

  it('reports the stamped Kubernetes version', async () => {
    const version = JSON.parse(await cluster.kubectlRun(['version', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string; minor: string };
    };
    expect(version.serverVersion.gitVersion).toBe(cluster.env.K8S_VERSION);
    expect(version.clientVersion.gitVersion).toBe(cluster.env.K8S_VERSION);
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    const { stdout } = await execFileAsync(cluster.helm, ['version', '--short']);
    expect(stdout).toMatch(/^v3\./);
  });

  it('runs a Deployment to Ready pods with loopback IPs, and garbage-collects them on delete', async () => {
    await cluster.kubectlRun(['apply', '-f', '-'], JSON.stringify(deployment));

    const ready = await poll('2 Ready pods', 30_000, async () => {
      const items = await pods();
      const isReady = (p: PodList['items'][number]): boolean =>
        p.status.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      return items.length === 2 && items.every(isReady) ? items : undefined;
    });
    for (const pod of ready) {
      expect(pod.status.podIP).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    }
    expect(new Set(ready.map((p) => p.status.podIP)).size).toBe(2);

    // Deleting the Deployment leaves the ReplicaSet and pods to the garbage collector (background
    // cascade), so this only passes with kube-controller-manager doing its job.
    await cluster.kubectlRun(['-n', namespace, 'delete', 'deployment', 'engine', '--cascade=background', '--wait=false']);
    await poll('pods to be garbage-collected', 30_000, async () => ((await pods()).length === 0 ? true : undefined));
    const replicaSets = await cluster.kubectlRun(['-n', namespace, 'get', 'replicasets', '-o', 'name']);
    expect(replicaSets.trim()).toBe('');
  }, 90_000);

  it('deletes a namespace with its contents (namespace controller)', async () => {
    const doomed = `${namespace}-doomed`;
    await cluster.kubectlRun(['create', 'namespace', doomed]);
    await cluster.kubectlRun(['-n', doomed, 'create', 'configmap', 'settings', '--from-literal=a=b']);
    await cluster.kubectlRun(['delete', 'namespace', doomed, '--wait=false']);
    await poll(`namespace ${doomed} to go`, 60_000, async () => {
      const names = await cluster.kubectlRun(['get', 'namespaces', '-o', 'name']);
      return names.split('\n').includes(`namespace/${doomed}`) ? undefined : true;
    });
  }, 90_000);
});
