import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import type { ModelLookup } from '@vllm-router/common';
import { podsToTable } from './k8s-pod-table.js';

const pod = (name: string, ip: string, model?: string): V1Pod => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'vllm', ...(model ? { model } : {}) } },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'vllm', ready: true, image: 'x', imageID: '', restartCount: 0 }] },
});

describe('podsToTable', () => {
  it("gives pods a prefill or decode role from their model label, as the reference's k8s discovery reads it", () => {
    const pods = [pod('p-0', '127.1.0.1', 'llama-prefill'), pod('d-0', '127.1.0.2', 'llama-decode'), pod('x-0', '127.1.0.3', 'other'), pod('y-0', '127.1.0.4')];
    const lookups = new Map<string, ModelLookup>(pods.map((p) => [p.metadata!.uid!, { ok: true, models: ['llama'] }]));
    const table = podsToTable(pods, lookups, {
      port: 8000,
      routingLogic: 'disaggregated_prefill',
      aliases: {},
      roleLabels: { prefill: ['llama-prefill'], decode: ['llama-decode'] },
    });
    expect(table.engines.map((e) => [e.id, e.role, e.labels])).toEqual([
      ['d-0', 'decode', { model: 'llama-decode' }],
      ['p-0', 'prefill', { model: 'llama-prefill' }],
      ['x-0', undefined, { model: 'other' }],
      ['y-0', undefined, {}],
    ]);
  });
});
