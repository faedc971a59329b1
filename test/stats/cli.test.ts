import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson } from '../helpers/http.js';
import { spawnRouter } from '../helpers/process.js';

describe('the vllm-router program with stats, health checks and the new policies', () => {
  let good: EngineSim;
  let bad: EngineSim;

  beforeAll(async () => {
    good = await startEngineSim({ engineId: 'good', host: '127.0.0.2', models: ['m'] });
    bad = await startEngineSim({ engineId: 'bad', host: '127.0.0.3', models: ['m'], errorRate: 1 });
  });

  afterAll(async () => {
    await Promise.all([good.close(), bad.close()]);
  });

  it('health-checks static backends, routes around the failing one, and logs a stats table', async () => {
    const router = await spawnRouter([
      '--service-discovery', 'static',
      '--static-backends', `${good.url},${bad.url}`,
      '--static-models', 'm,m',
      '--static-model-types', 'chat,chat',
      '--static-backend-health-checks',
      '--static-backend-health-check-interval', '0.2',
      '--engine-stats-interval', '0.2',
      '--log-stats', '--log-stats-interval', '0.3',
      '--routing-logic', 'prefixaware',
    ]);
    try {
      await eventually(() => /WARN .*health check failed; engine removed from routing for this model engine=http:\/\/127\.0\.0\.3:\d+ model=m type=chat reason="?HTTP 500/.test(router.output()));
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      for (let i = 0; i < 3; i++) expect((await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `q${i}` }] })).system_fingerprint).toBe('good');
      await eventually(() => /engine stats \(request window 60 s, 2 engines\)\n\s*engine\s+health\s+qps/.test(router.output()));
      // A table logged before the first health check ran shows the engine as healthy; a later one
      // must show it failing (on a busy machine the first table can come first).
      await eventually(() => /http:\/\/127\.0\.0\.3:\d+\s+FAILING/.test(router.output()));
      const stats = (await getJson(`${router.url}/stats`)).json as { engines: Array<{ url: string; requests: { finished: number } }> };
      expect(stats.engines.find((e) => e.url === good.url)?.requests.finished).toBe(3);
    } finally {
      await router.stop();
    }
  });

  it('starts with --routing-logic leastload and kvaware', async () => {
    for (const logic of ['leastload', 'kvaware']) {
      const router = await spawnRouter(['--service-discovery', 'static', '--static-backends', good.url, '--static-models', 'm', '--routing-logic', logic]);
      try {
        expect((await getJson(`${router.url}/health`)).json).toMatchObject({ status: 'healthy', routing_table: { routing_logic: logic } });
      } finally {
        await router.stop();
      }
    }
  });
});
