/** Leader election on a real API server: a Lease taken, renewed, released on stop, taken over on expiry. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Lease } from '@kubernetes/client-node';
import { KubeClient } from '@vllm-router/common';
import { LeaseElector } from '../../operator/src/leader/lease-elector.js';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { waitFor } from './harness/kube.js';

const ns = `lease-test-${process.pid}`;

describe('LeaseElector against the API server', () => {
  let cluster: Cluster;
  let client: KubeClient;
  const electors: LeaseElector[] = [];

  /** A candidate with short timings, recording when it leads. */
  function candidate(identity: string, lease: string) {
    const log: string[] = [];
    const elector = new LeaseElector(client, {
      namespace: ns,
      name: lease,
      identity,
      leaseDurationMs: 1000,
      renewDeadlineMs: 800,
      retryPeriodMs: 100,
      onStartedLeading: () => log.push('started'),
      onStoppedLeading: () => log.push('stopped'),
    });
    electors.push(elector);
    return { elector, log };
  }
  const holder = async (lease: string) => (await client.request<V1Lease>({ path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${lease}` })).spec?.holderIdentity ?? '';

  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.kubectlRun(['create', 'namespace', ns]);
    client = KubeClient.load(cluster.kubeconfig);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    await cluster?.kubectlRun(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 30_000);

  it('lets exactly one candidate lead, and hands over at once when the leader stops', async () => {
    const a = candidate('replica-a', 'handover');
    a.elector.start();
    await waitFor('a to lead', () => (a.elector.isLeader ? true : undefined), 5000);
    const b = candidate('replica-b', 'handover');
    b.elector.start();
    await new Promise((r) => setTimeout(r, 400)); // several of b's attempts, while a renews
    expect(b.elector.isLeader).toBe(false);
    expect(await holder('handover')).toBe('replica-a');

    const stoppedAt = Date.now();
    await a.elector.stop(); // releases the lease
    expect(a.log).toEqual(['started', 'stopped']);
    await waitFor('b to take over', () => (b.elector.isLeader ? true : undefined), 5000);
    // Released, not expired: b needs about one retry period, not the 1 s lease duration plus its wait.
    expect(Date.now() - stoppedAt).toBeLessThan(900);
    expect(await holder('handover')).toBe('replica-b');
  });

  it('takes over a lease whose holder stopped renewing once it expires', async () => {
    // A holder that vanished without releasing (a crashed replica): its lease just stops being renewed.
    await client.request({
      method: 'POST',
      path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
      body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'expiry', namespace: ns }, spec: { holderIdentity: 'crashed', leaseDurationSeconds: 1, renewTime: new Date().toISOString().replace('Z', '000Z') } },
    });
    const c = candidate('replica-c', 'expiry');
    const started = Date.now();
    c.elector.start();
    await waitFor('c to take the expired lease', () => (c.elector.isLeader ? true : undefined), 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it waited out the lease
    const lease = await client.request<V1Lease>({ path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/expiry` });
    expect(lease.spec).toMatchObject({ holderIdentity: 'replica-c', leaseTransitions: 1 });
  });
});
