/**
 * The operator's RBAC in the chart is exactly what operator/src calls, no more: install.test.ts runs
 * the operator with this ServiceAccount's token to show it is also no less.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { REPO, all, one, template, type Manifest } from './harness/helm.js';

/** What the operator does with each resource, and where (operator/src). */
const OPERATOR_NEEDS: [string, string, string[], string][] = [
  ['router.vllm.ai', 'vllmrouters', ['list', 'watch'], 'controller/controller.ts: informer'],
  ['router.vllm.ai', 'vllmrouters/status', ['patch'], 'kube/status-writer.ts: server-side apply of status'],
  ['router.vllm.ai', 'vllmrouters/finalizers', ['update'], 'reconcile/owner.ts: blockOwnerDeletion (OwnerReferencesPermissionEnforcement)'],
  ['', 'pods', ['list', 'watch'], 'controller/controller.ts: informer on engine pods'],
  ['', 'configmaps', ['get', 'list', 'watch', 'create', 'patch'], 'informer + kube/applier.ts; get because the proxy Role grants it'],
  ['', 'services', ['list', 'watch', 'create', 'patch'], 'informer + kube/applier.ts'],
  ['apps', 'deployments', ['list', 'watch', 'create', 'patch'], 'informer + kube/applier.ts'],
  ['', 'serviceaccounts', ['create', 'patch'], 'kube/applier.ts'],
  ['rbac.authorization.k8s.io', 'roles', ['create', 'patch'], 'kube/applier.ts: the proxy Role'],
  ['rbac.authorization.k8s.io', 'rolebindings', ['create', 'patch'], 'kube/applier.ts: the proxy RoleBinding'],
  ['', 'events', ['create'], 'kube/event-recorder.ts'],
];

/** One line per (group, resource[, name]): its verbs, sorted. */
function grants(rules: V1PolicyRule[] = [], withNames = true): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const rule of rules)
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? [])
        for (const name of (withNames && rule.resourceNames) || ['*']) {
          const key = `${group}/${resource}${name === '*' ? '' : `/${name}`}`;
          for (const verb of rule.verbs) (out[key] ??= new Set()).add(verb);
        }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

const needs = () => Object.fromEntries(OPERATOR_NEEDS.map(([group, resource, verbs]) => [`${group}/${resource}`, [...verbs].sort()]));

describe('the operator RBAC', () => {
  it('grants exactly what the operator calls, cluster-wide by default', async () => {
    const docs = await template();
    const role = one<V1ClusterRole>(docs, 'ClusterRole');
    expect(grants(role.rules)).toEqual(needs());
    const binding = one<V1ClusterRoleBinding>(docs, 'ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata?.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vllm-router-operator', namespace: 'llm' }]);
    expect(one<Manifest>(docs, 'ServiceAccount').metadata.name).toBe('vllm-router-operator');
  });

  it('never deletes, never reads Secrets, never escalates or binds', async () => {
    const verbs = Object.values(grants(one<V1ClusterRole>(await template(), 'ClusterRole').rules)).flat();
    expect(verbs).not.toContain('delete');
    expect(verbs).not.toContain('*');
    expect(verbs).not.toContain('escalate');
    expect(verbs).not.toContain('bind');
    expect(Object.keys(grants(one<V1ClusterRole>(await template(), 'ClusterRole').rules))).not.toContain('/secrets');
  });

  it('grants the same as operator/deploy/rbac.yaml, the hand-written manifests', async () => {
    const deploy = loadAll(readFileSync(join(REPO, 'operator', 'deploy', 'rbac.yaml'), 'utf8')) as Manifest[];
    const handWritten = grants(one<V1ClusterRole>(deploy, 'ClusterRole').rules);
    expect(grants(one<V1ClusterRole>(await template(), 'ClusterRole').rules)).toEqual(handWritten);
    // Leader election there: the operator creates its Lease (no chart to pre-create it), so it may create leases.
    expect(grants(one<V1Role>(deploy, 'Role').rules)).toEqual({ 'coordination.k8s.io/leases': ['create', 'get', 'update'] });
  });

  it('binds the ClusterRole in the watched namespace only when operator.watchNamespace is set', async () => {
    const docs = await template({ operator: { watchNamespace: 'team-a' }, router: { enabled: false } });
    expect(all(docs, 'ClusterRoleBinding')).toEqual([]);
    const binding = one<V1RoleBinding>(docs, 'RoleBinding');
    expect(binding.metadata?.namespace).toBe('team-a');
    expect(binding.roleRef.kind).toBe('ClusterRole');
    expect(binding.subjects?.[0]).toEqual({ kind: 'ServiceAccount', name: 'vllm-router-operator', namespace: 'llm' });
  });

  it('adds a Lease, and get/update on that Lease only, when leader election is on', async () => {
    expect(all(await template({ operator: { replicas: 1 } }), 'Role')).toEqual([]);
    expect(all(await template({ operator: { replicas: 1 } }), 'Lease')).toEqual([]);
    const docs = await template({ operator: { replicas: 2 } });
    const lease = one<Manifest>(docs, 'Lease');
    expect(lease.metadata).toMatchObject({ name: 'vllm-router-operator', namespace: 'llm' });
    expect(grants(one<V1Role>(docs, 'Role').rules)).toEqual({ 'coordination.k8s.io/leases/vllm-router-operator': ['get', 'update'] });
    const binding = all<V1RoleBinding>(docs, 'RoleBinding').find((b) => b.roleRef.kind === 'Role');
    expect(binding?.metadata?.namespace).toBe('llm');
    expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vllm-router-operator', namespace: 'llm' }]);
  });

  it('creates no RBAC or ServiceAccount when told not to, and uses the named account', async () => {
    const docs = await template({ rbac: { create: false }, serviceAccount: { create: false, name: 'existing' } });
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount']) expect(all(docs, kind)).toEqual([]);
    const deployment = one<{ spec: { template: { spec: { serviceAccountName: string } } } }>(docs, 'Deployment');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('existing');
  });
});
