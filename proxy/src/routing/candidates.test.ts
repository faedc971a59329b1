import { describe, expect, it } from '@jest/globals';
import { finalizeTable, type EngineEntry } from '@vllm-router/common/routing-table';
import { findCandidates } from './candidates.js';
import type { HealthView } from './health-view.js';
import { RoutingSnapshot } from './snapshot.js';

const engines: EngineEntry[] = ['a', 'b'].map((id) => ({ id, url: `http://${id}`, models: ['m'], backendKind: 'vllm', labels: {}, ready: true }));
const snapshot = new RoutingSnapshot(finalizeTable({ source: 'static', routingLogic: 'roundrobin', engines, aliases: {}, modelTypes: {} }));
const NONE = new Set<string>();

/** A health view where `ejected` engines are out by outlier detection and `failing` ones by health checks. */
function view(ejected: string[], failing: string[] = []): HealthView {
  return {
    isHealthy: (id) => !ejected.includes(id) && !failing.includes(id),
    isHealthyUnlessEjected: (id) => !failing.includes(id),
  };
}

const ids = (r: ReturnType<typeof findCandidates>) => (r.ok ? r.engines.map((e) => e.id) : r.error.code);

describe('candidate engines', () => {
  it('leaves out engines ejected by outlier detection while another engine of the model is in', () => {
    expect(ids(findCandidates(snapshot, 'm', [], view(['a']), NONE))).toEqual(['b']);
  });

  it('routes to ejected engines when every engine of the model is ejected (panic mode), not to none', () => {
    expect(ids(findCandidates(snapshot, 'm', [], view(['a', 'b']), NONE))).toEqual(['a', 'b']);
    // Engines this request already tried stay out, so failover still ends.
    expect(ids(findCandidates(snapshot, 'm', [], view(['a', 'b']), new Set(['a'])))).toEqual(['b']);
  });

  it('keeps engines whose health checks fail out, panic or not', () => {
    expect(ids(findCandidates(snapshot, 'm', [], view(['a'], ['b']), NONE))).toEqual(['a']);
    expect(ids(findCandidates(snapshot, 'm', [], view([], ['a', 'b']), NONE))).toBe('no_available_engine');
  });
});
