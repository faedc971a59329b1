/** kubectl against the local control plane, with stderr kept (warnings and admission messages live there). */
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import type { Cluster } from '../../cluster/cluster.js';
import { run, type Manifest, type RunResult } from './helm.js';

export function kubectl(cluster: Cluster, args: readonly string[], stdin?: string): Promise<RunResult> {
  return run(cluster.kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], {}, stdin);
}

/**
 * `kubectl apply --dry-run=server` of objects: admission, validation and defaulting, nothing stored.
 * Server-side, so objects other suites left on the shared cluster draw no client-side-apply warnings.
 */
export function dryRunApply(cluster: Cluster, objects: readonly object[]): Promise<RunResult> {
  return kubectl(cluster, ['apply', '--server-side', '--force-conflicts', '--field-manager', 'chart-test', '--dry-run=server', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
}

/** The pod a Deployment would make, as a bare Pod (PodSecurity admission enforces on pods only). */
export function podOf(deployment: V1Deployment, namespace: string): Manifest & { spec: V1PodSpec } {
  const template = deployment.spec?.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${deployment.metadata?.name ?? 'pod'}-probe`, namespace, labels: template?.metadata?.labels ?? {} },
    spec: template?.spec ?? { containers: [] },
  };
}
