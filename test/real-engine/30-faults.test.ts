/**
 * Faults with real engines: health checks against a real vLLM, and an engine killed outright
 * (failover, ejection, return when it is started again). A later "kill an engine mid-stream"
 * test needs only `killEngine` between two reads of a stream (see README.md here).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { eventually, getJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { killEngine } from './harness/engine-process.js';
import { engineState } from './harness/engine-metrics.js';
import { addEngine, engine, forgetEngine, routerLog, vllmSpec } from './harness/pool.js';
import { SHARED_ENGINES } from './harness/shared-engines.js';

interface EngineView {
  engine_id: string;
  healthy: boolean;
  out_of_routing?: string;
  health: { checked: boolean; checks: Array<{ model: string; healthy: boolean; checked_at?: string }> };
  outlier?: { ejected: boolean; reason?: string; ejections: number };
}

describe('faults with real vLLM engines', () => {
  let router: RunningRouter;
  let client: OpenAI;
  const views = async () => (await getJson(`${router.url}/engines`)).json as EngineView[];
  const viewOf = async (id: string) => (await views()).find((e) => e.engine_id === id)!;

  beforeAll(async () => {
    router = await startRouter(
      {
        engines: [{ id: 'a', url: engine('a').url, models: ['tiny'] }, { id: 'b', url: engine('b').url, models: ['tiny'] }],
        modelTypes: { tiny: 'chat' },
        logger: routerLog('faults'),
      },
      { staticBackendHealthChecks: true, staticBackendHealthCheckInterval: 2, staticBackendHealthCheckTimeoutSeconds: 30, outlierProbeIntervalSeconds: 1 },
    );
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  });

  afterAll(async () => router?.close());

  it('health-checks each engine with a real chat request', async () => {
    await eventually(async () => (await views()).every((e) => e.health.checks.some((c) => c.checked_at && c.healthy)), 60_000, 250);
    for (const e of await views()) expect(e).toMatchObject({ healthy: true, health: { checked: true, checks: [{ model: 'tiny', healthy: true }] } });
  });

  it('a killed engine: requests fail over, it is ejected at once, and it comes back when it runs again', async () => {
    const b = engine('b');
    await killEngine(b);
    forgetEngine('b');
    // One after another: the first to find b dead fails over and ejects it; the rest go to a.
    for (let i = 0; i < 4; i++) {
      const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: `after the kill ${i}` }], max_tokens: 2 });
      expect(r.usage?.completion_tokens).toBe(2);
    }
    const ejected = await viewOf('b');
    expect(ejected).toMatchObject({ healthy: false, outlier: { ejected: true }, out_of_routing: expect.stringMatching(/^ejected: (connect|reset|scrape)/) });
    const retries = (await (await fetch(`${router.url}/metrics`)).text()).match(/^vllm_router_upstream_retries_total\{server="[^"]*127\.0\.42\.3[^"]*"\} (\d+)/m);
    expect(Number(retries?.[1] ?? 0)).toBeLessThanOrEqual(1); // at most the request that found it dead
    expect((await getJson(`${router.url}/health`)).json).toMatchObject({ status: 'degraded', routing_table: { ready_engines: 1 } });

    // Started again on the same address: a probe passes and it takes traffic again.
    const spec = SHARED_ENGINES[1];
    const back = await addEngine(vllmSpec(spec.name, spec.host, [...spec.servedNames], spec.cpu, b.spec.port));
    // Back from ejection once a probe passes, and in routing once its health check passes too.
    await eventually(async () => (await viewOf('b')).healthy, 60_000, 250);
    const before = await engineState(back.url);
    await Promise.all([0, 1, 2, 3].map((i) => client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: `back ${i}` }], max_tokens: 2 })));
    expect((await engineState(back.url)).succeeded - before.succeeded).toBeGreaterThan(0);
    await eventually(async () => (await getJson(`${router.url}/health`)).json !== undefined && ((await getJson(`${router.url}/health`)).json as { status: string }).status === 'healthy', 30_000, 250);
  });
});
