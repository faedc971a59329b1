import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { ModelLookup } from '@vllm-router/common';
import type { RoutingTable } from '@vllm-router/common/routing-table';
import { podOf, routerOf } from '../testing/fixtures.js';
import { desired, type DesiredOptions } from './desired.js';
import { CONDITION, REASON } from './reasons.js';

const NOW = '2026-01-01T00:00:00Z';
const options = (uids: string[]): DesiredOptions => ({
  proxyImage: 'vllm-router:test',
  models: new Map<string, ModelLookup>(uids.map((u) => [`uid-${u}`, { ok: true, models: ['llama'] }])),
  now: NOW,
});
const tableOf = (result: ReturnType<typeof desired>) =>
  JSON.parse((result.objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap).data?.['routing.json'] ?? '') as RoutingTable;
const enginesCondition = (result: ReturnType<typeof desired>) => result.status.conditions?.find((c) => c.type === CONDITION.enginesAvailable);

describe('engine roles (disaggregated prefill)', () => {
  const role = (name: string, ip: string, value?: string, ready = true) =>
    podOf({ name, ip, ready, ...(value ? { labels: { 'router.vllm.ai/role': value } } : {}) });
  const pods = [role('p-0', '127.1.0.1', 'prefill'), role('d-0', '127.1.0.2', 'decode'), role('d-1', '127.1.0.3', 'decode', false), role('x-0', '127.1.0.4')];
  const all = ['p-0', 'd-0', 'd-1', 'x-0'];

  it('come from the router.vllm.ai/role label, into the routing table and each endpoint of status', () => {
    const result = desired(routerOf({ routing: { logic: 'disaggregated_prefill_orchestrated' } }), pods, options(all));
    expect(tableOf(result).engines.map((e) => [e.id, e.role])).toEqual([
      ['d-0', 'decode'],
      ['d-1', 'decode'],
      ['p-0', 'prefill'],
      ['x-0', undefined],
    ]);
    expect(tableOf(result).routingLogic).toBe('disaggregated_prefill_orchestrated');
    expect(result.status.endpoints?.map((e) => [e.pod, e.role])).toEqual([
      ['d-0', 'decode'],
      ['d-1', 'decode'],
      ['p-0', 'prefill'],
      ['x-0', undefined],
    ]);
  });

  it('are counted ready/total per role in status', () => {
    const result = desired(routerOf({ routing: { logic: 'disaggregated_prefill' } }), pods, options(all));
    expect(result.status).toMatchObject({ engines: '3/4', prefillEngines: '1/1', decodeEngines: '1/2' });
    expect(enginesCondition(result)).toMatchObject({ status: 'True', reason: REASON.enginesReady });
  });

  it('can come from another label, such as the model label production-stack deployments carry', () => {
    const labelled = [podOf({ name: 'a', ip: '127.1.0.1', labels: { model: 'llama-prefill' } }), podOf({ name: 'b', ip: '127.1.0.2', labels: { model: 'llama-decode' } })];
    const router = routerOf({
      engines: { selector: { matchLabels: { app: 'engine' } }, roles: { label: 'model', prefill: ['llama-prefill'], decode: ['llama-decode'] } },
      routing: { logic: 'disaggregated_prefill' },
    });
    expect(tableOf(desired(router, labelled, options(['a', 'b']))).engines.map((e) => e.role)).toEqual(['prefill', 'decode']);
  });

  it('make EnginesAvailable False under a disaggregated logic while a role has no ready engine', () => {
    const noDecode = desired(routerOf({ routing: { logic: 'disaggregated_prefill_orchestrated' } }), [pods[0]!, pods[2]!], options(all));
    expect(enginesCondition(noDecode)).toMatchObject({ status: 'False', reason: REASON.noDecodeEngines });
    expect(enginesCondition(noDecode)?.message).toContain('0/1 ready (pods labelled router.vllm.ai/role in (decode))');
    const noPrefill = desired(routerOf({ routing: { logic: 'disaggregated_prefill' } }), [pods[1]!], options(all));
    expect(enginesCondition(noPrefill)).toMatchObject({ status: 'False', reason: REASON.noPrefillEngines });
    expect(noPrefill.status.conditions?.find((c) => c.type === CONDITION.ready)).toMatchObject({ status: 'False', reason: REASON.noPrefillEngines });
  });

  it('are shown but change nothing under other logics, and are left out of status when no engine has one', () => {
    const result = desired(routerOf(), pods, options(all));
    expect(result.status).toMatchObject({ prefillEngines: '1/1', decodeEngines: '1/2' });
    expect(enginesCondition(result)).toMatchObject({ status: 'True' });
    const plain = desired(routerOf(), [role('x-0', '127.1.0.4')], options(all));
    expect(plain.status).not.toHaveProperty('prefillEngines');
  });

  it('can be given to static backends', () => {
    const router = routerOf({
      routing: { logic: 'disaggregated_prefill_orchestrated' },
      staticBackends: [
        { url: 'http://10.0.0.1:8000', models: ['llama'], role: 'prefill' },
        { url: 'http://10.0.0.2:8000', models: ['llama'], role: 'decode' },
      ],
    });
    const result = desired(router, [], options([]));
    expect(tableOf(result).engines.map((e) => e.role)).toEqual(['prefill', 'decode']);
    expect(result.status).toMatchObject({ prefillEngines: '1/1', decodeEngines: '1/1' });
  });
});
