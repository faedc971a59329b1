import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

interface EngineView {
  engine_id: string;
  healthy: boolean;
  health: { checked: boolean; healthy: boolean; checks: Array<{ model: string; type?: string; healthy: boolean; reason?: string }> };
}

describe('static backend health checks against simulators', () => {
  let a: EngineSim;
  let b: EngineSim;
  let router: RunningRouter;
  let client: OpenAI;

  const engine = async (id: string) => ((await getJson(`${router.url}/engines`)).json as EngineView[]).find((e) => e.engine_id === id)!;
  const servedBy = async (n: number) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push((await client.chat.completions.create({ model: 'chat-m', messages: [{ role: 'user', content: `q${i}` }] })).system_fingerprint ?? '');
    return seen;
  };

  beforeAll(async () => {
    a = await startEngineSim({ engineId: 'a', host: '127.0.0.2', models: ['chat-m', 'rerank-m', 'audio-m'] });
    b = await startEngineSim({ engineId: 'b', host: '127.0.0.3', models: ['chat-m'] });
    router = await startRouter(
      {
        engines: [{ url: a.url, models: ['chat-m', 'rerank-m', 'audio-m'] }, { url: b.url, models: ['chat-m'] }],
        modelTypes: { 'chat-m': 'chat', 'rerank-m': 'rerank', 'audio-m': 'transcription' },
      },
      // Checks every 50 ms; a 5 s timeout, so that a simulator slowed by a busy machine still passes
      // (with 1 s, both engines' chat checks once timed out together under a full test run: a 503).
      { staticBackendHealthChecks: true, staticBackendHealthCheckInterval: 0.05, staticBackendHealthCheckTimeoutSeconds: 5 },
    );
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('probes each (engine, model) with a small real request of its type', async () => {
    await eventually(() => (a.stats.requests['/v1/chat/completions'] ?? 0) > 0 && (b.stats.requests['/v1/chat/completions'] ?? 0) > 0);
    const probe = a.stats.lastRequests.find((r) => r.path === '/v1/chat/completions')!;
    expect(probe.body).toMatchObject({ model: 'chat-m', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 });
  });

  it('probes a rerank model with a rerank request', async () => {
    await eventually(async () => (await engine(a.url)).health.checks.some((c) => c.model === 'rerank-m' && c.healthy));
    const probe = a.stats.lastRequests.find((r) => r.path === '/v1/rerank')!;
    expect(probe.body).toMatchObject({ model: 'rerank-m', query: 'Hello', documents: ['Test'] });
  });

  it('shows why a pair fails: the simulator has no transcription endpoint', async () => {
    await eventually(async () => (await engine(a.url)).health.checks.some((c) => c.model === 'audio-m' && !c.healthy));
    const view = await engine(a.url);
    expect(view.healthy).toBe(false);
    expect(view.health.checks.find((c) => c.model === 'audio-m')).toMatchObject({ type: 'transcription', healthy: false, reason: expect.stringMatching(/^HTTP 404/) });
    expect(view.health.checks.find((c) => c.model === 'chat-m')).toMatchObject({ healthy: true });
    expect(view.health.checks.find((c) => c.model === 'rerank-m')).toMatchObject({ type: 'rerank', healthy: true });
  });

  it('takes a failing engine out of routing, and brings it back when it recovers', async () => {
    b.setFailure({ errorRate: 1 });
    await eventually(async () => !(await engine(b.url)).healthy);
    expect(new Set(await servedBy(4))).toEqual(new Set(['a']));
    expect((await engine(b.url)).health.checks[0]).toMatchObject({ healthy: false, reason: expect.stringMatching(/^HTTP 500/) });

    b.setFailure({ errorRate: 0 });
    await eventually(async () => (await engine(b.url)).healthy);
    expect(new Set(await servedBy(4))).toEqual(new Set(['a', 'b']));
  });

  it('answers 503 when every engine of a model fails its checks', async () => {
    a.setFailure({ errorRate: 1 });
    b.setFailure({ errorRate: 1 });
    try {
      await eventually(async () => !(await engine(a.url)).health.checks.find((c) => c.model === 'chat-m')!.healthy && !(await engine(b.url)).healthy);
      await expect(client.chat.completions.create({ model: 'chat-m', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 503 });
    } finally {
      a.setFailure({ errorRate: 0 });
      b.setFailure({ errorRate: 0 });
    }
  });
});
