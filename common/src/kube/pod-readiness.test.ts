import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { engineUrl, podReadiness } from './pod-readiness.js';

const readyPod = (): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  status: {
    phase: 'Running',
    podIP: '127.1.0.5',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'engine', ready: true, image: 'x', imageID: '', restartCount: 0 }],
  },
});

describe('podReadiness', () => {
  it('counts a Running pod with an IP, Ready, and every container ready', () => {
    expect(podReadiness(readyPod())).toEqual({ ready: true, ip: '127.1.0.5' });
  });

  it.each([
    ['Terminating', (p: V1Pod) => (p.metadata!.deletionTimestamp = new Date())],
    ['NotRunning', (p: V1Pod) => (p.status!.phase = 'Pending')],
    ['NoPodIP', (p: V1Pod) => delete p.status!.podIP],
    ['PodNotReady', (p: V1Pod) => (p.status!.conditions = [{ type: 'Ready', status: 'False' }])],
    ['ContainersNotReady', (p: V1Pod) => (p.status!.containerStatuses![0]!.ready = false)],
  ])('refuses a pod that is %s', (reason, spoil) => {
    const pod = readyPod();
    spoil(pod);
    expect(podReadiness(pod)).toMatchObject({ ready: false, reason });
  });

  it('brackets IPv6 addresses in engine URLs', () => {
    expect(engineUrl('http', '127.1.0.5', 8000)).toBe('http://127.1.0.5:8000');
    expect(engineUrl('https', 'fd00::5', 8443)).toBe('https://[fd00::5]:8443');
  });
});
