import type { RoutingLogic } from '@vllm-router/common';
import type { EngineSpec } from './fleet-types.js';

/** One way to use N engines: all aggregated, or split into prefill and decode engines. */
export interface Deployment {
  name: string;
  /** The aggregated deployment of the same engine count, which this one is compared with. */
  baseline: string;
  logic: RoutingLogic;
  engines: EngineSpec[];
}

function deployment(name: string, baseline: string, prefill: number, decode: number, aggregated = 0): Deployment {
  const engines: EngineSpec[] = [];
  let host = 2;
  const add = (role: EngineSpec['role'], n: number, prefix: string) => {
    for (let i = 0; i < n; i++) engines.push({ id: `${prefix}${i}`, host: `127.0.0.${host++}`, role });
  };
  add(null, aggregated, 'e');
  add('prefill', prefill, 'p');
  add('decode', decode, 'd');
  return { name, baseline, logic: aggregated ? 'leastload' : 'disaggregated_prefill_orchestrated', engines };
}

/** Two engines: aggregated vs 1P1D; four engines: aggregated vs 1P3D and 2P2D. */
export const GROUPS: Record<string, Deployment[]> = {
  '2 engines': [deployment('aggregated', 'aggregated', 0, 0, 2), deployment('1P1D', 'aggregated', 1, 1)],
  '4 engines': [deployment('aggregated', 'aggregated', 0, 0, 4), deployment('1P3D', 'aggregated', 1, 3), deployment('2P2D', 'aggregated', 2, 2)],
};
