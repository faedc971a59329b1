/**
 * The rendered chart against the real kube-apiserver (test/cluster), with `--dry-run=server`:
 * schema validation, the CRD's rules for the sample VLLMRouter, and PodSecurity admission in a
 * namespace that enforces the "restricted" level.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { DEFAULT_PROXY_IMAGE } from '../../operator/src/api/constants.js';
import { proxyDeployment } from '../../operator/src/reconcile/proxy-objects.js';
import { resolveSpec } from '../../operator/src/reconcile/spec-defaults.js';
import { routerOf } from '../../operator/src/testing/fixtures.js';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { installCrd } from '../operator/harness/kube.js';
import { CHART, REPO, all, template, type Manifest } from './harness/helm.js';
import { dryRunApply, kubectl, podOf } from './harness/kube.js';
import { fullValues } from './harness/values.js';

const ns = `chart-dry-${process.pid}`;
const restricted = `chart-restricted-${process.pid}`;
const WOULD_VIOLATE = 'would violate PodSecurity';

describe('the rendered chart on a real API server', () => {
  let cluster: Cluster;
  const render = async (values: object, namespace: string) => (await template(values, { namespace })).filter((d) => d.kind !== 'ServiceMonitor'); // no monitoring CRDs here
  const deployments = (docs: Manifest[]) => all<V1Deployment>(docs, 'Deployment');
  const accepted = async (objects: object[]) => {
    const result = await dryRunApply(cluster, objects);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    cluster = await startCluster();
    await installCrd(cluster, join(REPO, 'crds', 'vllmrouters.router.vllm.ai.yaml'));
    await cluster.kubectlRun(['create', 'namespace', ns]);
    await cluster.kubectlRun(['create', 'namespace', restricted]);
    await cluster.kubectlRun(['label', 'namespace', restricted, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
  }, 120_000);

  afterAll(async () => {
    for (const n of [ns, restricted]) await cluster?.kubectlRun(['delete', 'namespace', n, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  }, 30_000);

  it('accepts the default rendering', async () => {
    const out = await accepted(await render({}, ns));
    for (const kind of ['serviceaccount', 'clusterrole', 'clusterrolebinding', 'service', 'deployment', 'vllmrouter']) expect(out).toMatch(new RegExp(`^${kind}[^ ]* .*\\(server dry run\\)$`, 'm'));
  });

  it('accepts the non-default rendering: HA operator with its Lease, one watched namespace, GPU engines', async () => {
    const docs = await render({ ...fullValues, operator: { ...fullValues.operator, watchNamespace: ns } }, ns);
    const out = await accepted(docs);
    expect(out).toContain('lease.coordination.k8s.io/vllm-router-operator serverside-applied (server dry run)');
    expect(out).toContain('deployment.apps/vllm-router-engine-llama-8b serverside-applied (server dry run)');
    expect(out).toContain('vllmrouter.router.vllm.ai/llm serverside-applied (server dry run)');
  });

  it('accepts the kind-e2e values (simulated engines, ci/sim-values.yaml)', async () => {
    const docs = (await template({}, { namespace: ns, valuesFiles: [join(CHART, 'ci', 'sim-values.yaml')] })).filter((d) => d.kind !== 'ServiceMonitor');
    const out = await accepted(docs);
    expect(out).toContain('deployment.apps/vllm-router-engine-llama serverside-applied (server dry run)');
    expect(out).toContain('deployment.apps/vllm-router-engine-opt serverside-applied (server dry run)');
  });

  it('refuses, at install, a router.spec the CRD refuses', async () => {
    const docs = await render({ router: { spec: { routing: { logic: 'session' } } } }, ns);
    const result = await dryRunApply(cluster, docs);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('routing.sessionKey is required when routing.logic is session');
  });

  describe('in a namespace enforcing the restricted Pod Security Standard', () => {
    it('PodSecurity admission is on (kube-apiserver 1.35, default plugins): a pod without a securityContext is refused', async () => {
      const version = JSON.parse((await kubectl(cluster, ['version', '-o', 'json'])).stdout) as { serverVersion: { minor: string } };
      expect(version.serverVersion.minor).toBe('35');
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace: restricted }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
      const result = await dryRunApply(cluster, [pod]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('violates PodSecurity "restricted:latest"');
    });

    it('admits the operator and engine pods, and warns about none of the Deployments', async () => {
      const docs = await render({ ...fullValues, operator: { ...fullValues.operator, watchNamespace: restricted } }, restricted);
      expect(deployments(docs).map((d) => d.metadata?.name)).toEqual(['vllm-router-operator', 'vllm-router-engine-llama-8b', 'vllm-router-engine-opt']);
      await accepted(deployments(docs).map((d) => podOf(d, restricted)));
      const deploymentsApplied = await dryRunApply(cluster, docs); // pods that would be refused draw a warning here
      expect(deploymentsApplied.code).toBe(0);
      expect(deploymentsApplied.stderr).not.toContain(WOULD_VIOLATE);
    });

    it('refuses an engine whose model cache is a hostPath', async () => {
      const docs = await render({ engines: { models: [{ name: 'opt', model: 'facebook/opt-125m', cache: { hostPath: { path: '/mnt/models' } } }] } }, restricted);
      const engine = deployments(docs).find((d) => d.metadata?.name === 'vllm-router-engine-opt')!;
      const result = await dryRunApply(cluster, [podOf(engine, restricted)]);
      expect(result.stderr).toContain('restricted volume types (volume "cache" uses restricted volume type "hostPath")');
    });

    const operatorProxy = () => proxyDeployment(routerOf({}, { namespace: restricted }), resolveSpec(routerOf(), DEFAULT_PROXY_IMAGE));

    it('admits the proxy pod the operator creates', async () => {
      await accepted([podOf(operatorProxy(), restricted)]);
    });
  });
});
