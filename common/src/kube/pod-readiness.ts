import type { V1Pod } from '@kubernetes/client-node';

/** Why a pod does not count as a ready engine (stable strings: status, logs and tests use them). */
export type PodNotReadyReason = 'Terminating' | 'NotRunning' | 'NoPodIP' | 'PodNotReady' | 'ContainersNotReady';

export type PodReadiness = { ready: true; ip: string } | { ready: false; reason: PodNotReadyReason; ip?: string };

/**
 * Whether a pod may receive requests: not being deleted, Running with an IP, its Ready condition
 * True (which includes readiness gates) and every container ready, as the reference router counts
 * them (it never routes to a terminating or unready pod).
 */
export function podReadiness(pod: V1Pod): PodReadiness {
  const ip = pod.status?.podIP || undefined;
  const notReady = (reason: PodNotReadyReason): PodReadiness => (ip ? { ready: false, reason, ip } : { ready: false, reason });
  if (pod.metadata?.deletionTimestamp) return notReady('Terminating');
  if (pod.status?.phase !== 'Running') return notReady('NotRunning');
  if (!ip) return notReady('NoPodIP');
  const readyCondition = pod.status.conditions?.find((c) => c.type === 'Ready');
  if (readyCondition?.status !== 'True') return notReady('PodNotReady');
  const containers = pod.status.containerStatuses ?? [];
  if (containers.length === 0 || containers.some((c) => !c.ready)) return notReady('ContainersNotReady');
  return { ready: true, ip };
}

/** `scheme://ip:port` with IPv6 addresses bracketed. */
export function engineUrl(scheme: 'http' | 'https', ip: string, port: number): string {
  return `${scheme}://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}
