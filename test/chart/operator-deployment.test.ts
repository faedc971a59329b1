/** The operator Deployment, its metrics Service and ServiceMonitors, as rendered from values. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1Deployment, V1Service } from '@kubernetes/client-node';
import { DEFAULT_PROXY_IMAGE } from '../../operator/src/api/constants.js';
import type { VLLMRouter } from '../../operator/src/api/types.js';
import { parseOperatorArgs } from '../../operator/src/options.js';
import { selectorMatches } from '../../operator/src/reconcile/label-selector.js';
import { proxyService } from '../../operator/src/reconcile/proxy-objects.js';
import { resolveSpec } from '../../operator/src/reconcile/spec-defaults.js';
import { CHART, all, one, template, type Manifest } from './harness/helm.js';
import { restrictedProblems } from './harness/pod-security.js';
import { fullValues } from './harness/values.js';

const appVersion = /^appVersion: "(.+)"$/m.exec(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'))?.[1];

async function operator(values: object = {}): Promise<{ deployment: V1Deployment; container: V1Container; args: string[] }> {
  const deployment = one<V1Deployment>(await template(values), 'Deployment', 'vllm-router-operator');
  const container = deployment.spec?.template.spec?.containers[0] as V1Container;
  return { deployment, container, args: container.args ?? [] };
}

describe('the operator Deployment', () => {
  it('passes the chart settings as flags the operator accepts', async () => {
    const { container, args } = await operator();
    expect(container.image).toBe(`ghcr.io/vllm-router/vllm-router-operator:${appVersion}`);
    expect(args).toEqual([
      `--proxy-image=ghcr.io/vllm-router/vllm-router:${appVersion}`,
      '--metrics-port=8080',
      '--workers=2',
      '--resync-seconds=300',
      '--log-level=info',
      '--log-format=json',
    ]);
    expect(parseOperatorArgs(args, {})).toMatchObject({ proxyImage: `ghcr.io/vllm-router/vllm-router:${appVersion}`, namespace: '', leaderElect: false, metricsPort: 8080 });
  });

  it('defaults the proxy image to the operator’s own default, so the two never disagree', async () => {
    const { args } = await operator();
    expect(parseOperatorArgs(args, {}).proxyImage).toBe(DEFAULT_PROXY_IMAGE);
  });

  it('passes an overridden proxy image, operator image and settings through', async () => {
    const { container, args } = await operator(fullValues);
    expect(container.image).toBe('registry.example.com/vllm-router-operator:1.2.3');
    expect(container.imagePullPolicy).toBe('Always');
    expect(parseOperatorArgs(args, {})).toMatchObject({
      proxyImage: 'registry.example.com/vllm-router:1.2.3',
      namespace: 'llm',
      workers: 4,
      resyncSeconds: 120,
      logLevel: 'debug',
      logFormat: 'text',
      identity: 'custom',
    });
    expect(container.env).toContainEqual({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: 'engine-key', key: 'token' } } });
  });

  it('turns leader election on with more than one replica, on the chart’s Lease in the release namespace', async () => {
    expect((await operator({ operator: { replicas: 1 } })).args).not.toContain('--leader-elect');
    const { deployment, args } = await operator({ operator: { replicas: 3 } });
    expect(deployment.spec?.replicas).toBe(3);
    expect(parseOperatorArgs(args, {})).toMatchObject({ leaderElect: true, leaseName: 'vllm-router-operator', leaseNamespace: 'llm' });
    expect(parseOperatorArgs((await operator({ operator: { leaderElection: true } })).args, {}).leaderElect).toBe(true);
  });

  it('gives the operator its Lease identity and namespace from the pod', async () => {
    const { container } = await operator();
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ]),
    );
  });

  it('runs restricted: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, read-only root', async () => {
    const { deployment, container } = await operator();
    expect(restrictedProblems(deployment.spec?.template.spec ?? { containers: [] })).toEqual([]);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  it('probes /readyz and /healthz on the metrics port', async () => {
    const { container } = await operator();
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  });
});

describe('metrics', () => {
  it('has a Service on the operator pods’ metrics port', async () => {
    const docs = await template();
    const service = one<V1Service>(docs, 'Service');
    const podLabels = one<V1Deployment>(docs, 'Deployment', 'vllm-router-operator').spec?.template.metadata?.labels ?? {};
    expect(Object.entries(service.spec?.selector ?? {}).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(service.spec?.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
  });

  it('renders ServiceMonitors only when enabled: the operator’s and every proxy Service', async () => {
    expect(all(await template(), 'ServiceMonitor')).toEqual([]);
    const docs = await template(fullValues);
    const monitors = all<Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] } }>(docs, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name)).toEqual(['vllm-router-operator', 'vllm-router-proxies']);
    for (const m of monitors) expect(m.metadata.labels?.release).toBe('prometheus');
    expect(monitors[0]?.spec.endpoints[0]?.port).toBe('metrics');
    // It selects the Service the operator makes for a VLLMRouter.
    const router: VLLMRouter = { apiVersion: 'router.vllm.ai/v1alpha1', kind: 'VLLMRouter', metadata: { name: 'any', namespace: 'ns', uid: 'u' }, spec: {} };
    const proxy = proxyService(router, resolveSpec(router, DEFAULT_PROXY_IMAGE));
    expect(selectorMatches(monitors[1]?.spec.selector ?? {}, proxy.metadata?.labels)).toBe(true);
    expect(proxy.spec?.ports?.[0]?.name).toBe('http');
    expect(monitors[1]?.spec.endpoints[0]?.port).toBe('http');
  });
});
