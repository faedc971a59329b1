import { describe, expect, it } from '@jest/globals';
import { finalizeTable, type EngineEntry } from '@vllm-router/common/routing-table';
import { LoadTracker } from '../load-tracker.js';
import { RoutingSnapshot } from '../snapshot.js';
import { LeastLoadPolicy, engineLoad } from './leastload.js';
import type { EngineSignals, PolicyContext } from './policy.js';

const engines: EngineEntry[] = ['a', 'b', 'c'].map((id) => ({ id, url: `http://${id}`, models: ['m'], backendKind: 'vllm', labels: {}, ready: true }));
const snapshot = new RoutingSnapshot(finalizeTable({ source: 'static', routingLogic: 'leastload', engines, aliases: {}, modelTypes: {} }));
const request = { model: 'm', path: '/v1/completions', headers: {}, body: { model: 'm', prompt: 'x' } };

function context(inFlight: Record<string, number>, signals: Record<string, EngineSignals> = {}): PolicyContext {
  const load = new LoadTracker();
  for (const [id, n] of Object.entries(inFlight)) for (let i = 0; i < n; i++) load.begin(id);
  return { snapshot, load, signals: { signals: (id) => signals[id] } };
}

describe('leastload policy', () => {
  const policy = new LeastLoadPolicy();

  it('picks the engine with the fewest requests in flight at this proxy', () => {
    expect(policy.pick(request, engines, context({ a: 3, b: 1, c: 2 })).id).toBe('b');
  });

  it('rotates among equally loaded engines, so light traffic spreads', () => {
    const ctx = context({});
    const picks = new Set(Array.from({ length: 6 }, () => policy.pick(request, engines, ctx).id));
    expect(picks).toEqual(new Set(['a', 'b', 'c']));
  });

  it('adds the engine\'s own queue depth and KV-cache use when its metrics are fresh', () => {
    const ctx = context({ a: 1, b: 1, c: 2 }, { a: { running: 4, waiting: 6, kvUsage: 0.9 }, b: { running: 4, waiting: 0, kvUsage: 0.2 } });
    expect(engineLoad(engines[0]!, ctx)).toBeCloseTo(1 + 3 + 1.8);
    expect(engineLoad(engines[1]!, ctx)).toBeCloseTo(1.4);
    expect(engineLoad(engines[2]!, ctx)).toBe(2); // no metrics: in flight only
    expect(policy.pick(request, engines, ctx).id).toBe('b');
  });
});
