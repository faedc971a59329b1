import type { V1PodSpec, V1SecurityContext } from '@kubernetes/client-node';

/**
 * What the "restricted" Pod Security Standard asks of a pod, checked on a rendered pod spec:
 * non-root, no privilege escalation, every capability dropped, the RuntimeDefault (or Localhost)
 * seccomp profile, and only the volume types restricted allows (no hostPath). Returns the problems,
 * one a line; the real admission plugin has the last word (see apiserver.test.ts).
 */
export function restrictedProblems(spec: V1PodSpec): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  const seccompOk = (c: V1SecurityContext | undefined) => ['RuntimeDefault', 'Localhost'].includes(c?.seccompProfile?.type ?? pod.seccompProfile?.type ?? '');
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation is not false`);
    if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${c.name}: capabilities.drop lacks ALL`);
    if (sc.capabilities?.add?.some((cap) => cap !== 'NET_BIND_SERVICE')) problems.push(`${c.name}: adds capabilities`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${c.name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) problems.push(`${c.name}: runs as uid 0`);
    if (!seccompOk(sc)) problems.push(`${c.name}: no RuntimeDefault seccomp profile`);
    if (sc.privileged) problems.push(`${c.name}: privileged`);
  }
  for (const v of spec.volumes ?? []) if (v.hostPath) problems.push(`volume ${v.name}: hostPath`);
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('uses host namespaces');
  return problems;
}
