import type { Cluster } from '../../cluster/cluster.js';

/** Polls `check` until it returns a value (not undefined); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `kubectl apply` of objects given as JS values. */
export function apply(cluster: Cluster, ...objects: unknown[]): Promise<string> {
  return cluster.kubectlRun(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
}

/** `kubectl get -o json` parsed; undefined when the object does not exist. */
export async function getJson<T>(cluster: Cluster, args: string[]): Promise<T | undefined> {
  try {
    return JSON.parse(await cluster.kubectlRun(['get', ...args, '-o', 'json'])) as T;
  } catch (err) {
    if (String(err).includes('NotFound')) return undefined;
    throw err;
  }
}

/** Applies the VLLMRouter CRD and waits until the API serves it. */
export async function installCrd(cluster: Cluster, path: string): Promise<void> {
  await cluster.kubectlRun(['apply', '--server-side', '--force-conflicts', '-f', path]);
  await cluster.kubectlRun(['wait', '--for', 'condition=Established', '--timeout', '30s', 'crd/vllmrouters.router.vllm.ai']);
}

/** A Deployment of fake engine pods (kwok runs them) with the given labels. */
export function engineDeployment(namespace: string, name: string, replicas: number, labels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'engine', image: 'vllm/vllm-openai:fake' }], terminationGracePeriodSeconds: 0 } },
    },
  };
}
