import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../cluster/cluster.js';

interface KubeconfigJson {
  clusters: { name: string; cluster: Record<string, unknown> }[];
}

/**
 * A kubeconfig that authenticates as a ServiceAccount (a token from the TokenRequest API), so a
 * program run with it has exactly the RBAC that account is granted, as it would in a pod.
 */
export async function serviceAccountKubeconfig(cluster: Cluster, namespace: string, name: string): Promise<string> {
  const token = (await cluster.kubectlRun(['-n', namespace, 'create', 'token', name, '--duration', '1h'])).trim();
  const admin = JSON.parse(await cluster.kubectlRun(['config', 'view', '--raw', '-o', 'json'])) as KubeconfigJson;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: admin.clusters,
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: admin.clusters[0]?.name, user: name } }],
    'current-context': name,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'sa-kubeconfig-')), 'kubeconfig');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 }); // JSON is YAML
  return path;
}
