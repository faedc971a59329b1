import { describe, expect, it } from '@jest/globals';
import { EngineModelCache } from './engine-model-cache.js';

function fakeEngines(answers: Record<string, string[] | Error>) {
  const calls: string[] = [];
  const fetchModels = async (url: string) => {
    calls.push(url);
    const answer = answers[url];
    if (answer instanceof Error) throw answer;
    return answer ?? [];
  };
  return { calls, fetchModels };
}

describe('EngineModelCache', () => {
  it('asks each engine once per version, and again when its version or URL changes', async () => {
    const engines = fakeEngines({ 'http://a': ['m1'], 'http://b': ['m2'] });
    const cache = new EngineModelCache(engines.fetchModels);
    const first = await cache.lookup([{ key: 'a', version: '1', url: 'http://a' }]);
    expect(first.results.get('a')).toEqual({ ok: true, models: ['m1'] });
    await cache.lookup([{ key: 'a', version: '1', url: 'http://a' }]);
    expect(engines.calls).toEqual(['http://a']);
    await cache.lookup([{ key: 'a', version: '2', url: 'http://a' }]);
    await cache.lookup([{ key: 'a', version: '2', url: 'http://b' }]);
    expect(engines.calls).toEqual(['http://a', 'http://a', 'http://b']);
  });

  it('reports a failure with its reason, waits out a backoff before retrying, and says when to retry', async () => {
    let now = 1000;
    const engines = fakeEngines({ 'http://a': new Error('connect ECONNREFUSED') });
    const cache = new EngineModelCache(engines.fetchModels, { retry: { initialMs: 100, maxMs: 1000 }, now: () => now });
    const ref = { key: 'a', version: '1', url: 'http://a' };
    const first = await cache.lookup([ref]);
    expect(first.results.get('a')).toEqual({ ok: false, reason: 'connect ECONNREFUSED' });
    expect(first.retryInMs).toBe(100);
    now += 50;
    expect((await cache.lookup([ref])).retryInMs).toBe(50);
    expect(engines.calls).toHaveLength(1);
    now += 60;
    const second = await cache.lookup([ref]);
    expect(engines.calls).toHaveLength(2);
    expect(second.retryInMs).toBe(200); // doubled
  });

  it('retries at once when a failed engine changes (a pod that just turned Ready)', async () => {
    const answers: Record<string, string[] | Error> = { 'http://a': new Error('refused') };
    const engines = fakeEngines(answers);
    const cache = new EngineModelCache(engines.fetchModels, { now: () => 0 });
    await cache.lookup([{ key: 'a', version: '1', url: 'http://a' }]);
    answers['http://a'] = ['m1'];
    const next = await cache.lookup([{ key: 'a', version: '2', url: 'http://a' }]);
    expect(next.results.get('a')).toEqual({ ok: true, models: ['m1'] });
    expect(next.retryInMs).toBeUndefined();
  });

  it('forgets engines that are no longer asked about', async () => {
    const engines = fakeEngines({ 'http://a': ['m1'] });
    const cache = new EngineModelCache(engines.fetchModels);
    const a = { key: 'a', version: '1', url: 'http://a' };
    await cache.lookup([a]);
    await cache.lookup([]);
    await cache.lookup([a]);
    expect(engines.calls).toHaveLength(2);
  });
});
