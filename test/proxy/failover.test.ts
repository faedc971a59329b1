import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { deadUrl, eventually, openAIError, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

describe('failover and timeouts', () => {
  let twin: EngineSim;
  let resetting: EngineSim;
  let hanging: EngineSim;
  let router: RunningRouter;
  let dead: string;

  beforeAll(async () => {
    dead = await deadUrl();
    twin = await startEngineSim({ engineId: 'twin', host: '127.0.0.2', models: ['m1', 'm2'] });
    resetting = await startEngineSim({ engineId: 'resetting', host: '127.0.0.3', models: ['m2'], resetBeforeResponse: true });
    hanging = await startEngineSim({ engineId: 'hanging', host: '127.0.0.4', models: ['m3'], hang: true });
    router = await startRouter(
      {
        engines: [
          { url: dead, models: ['m1'] },
          { url: twin.url, models: ['m1', 'm2'] },
          { url: resetting.url, models: ['m2'] },
          { url: hanging.url, models: ['m3'] },
          { url: `${dead}/only`, id: 'dead-only', models: ['m4'] },
        ],
      },
      // The failover mechanics alone: with outlier detection the dead engine would be ejected after
      // its first failure (or failed scrape) and never tried again (see outlier-detection.test.ts).
      { firstByteTimeoutMs: 300, connectTimeoutMs: 500, outlierDetection: false },
    );
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([twin.close(), resetting.close(), hanging.close()]);
  });

  it('retries a refused connection on another engine of the same model', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
    for (let i = 0; i < 4; i++) {
      const r = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: `${i}` }] });
      expect(r.system_fingerprint).toBe('twin');
    }
    const metrics = await fetch(`${router.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/vllm_router_upstream_retries_total\{server="http:\/\/127\.0\.0\.9:\d+"\} [1-9]/);
  });

  it('retries a connection reset before the first byte on the twin', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await postJson(`${router.url}/v1/completions`, { model: 'm2', prompt: 'x' });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-engine-id')).toBe('twin');
    }
    expect(resetting.stats.injected.resets).toBeGreaterThan(0);
  });

  it('answers 502 when no engine of the model can be reached', async () => {
    const r = await postJson(`${router.url}/v1/completions`, { model: 'm4', prompt: 'x' });
    expect(r.status).toBe(502);
    expect(r.json).toEqual(openAIError('upstream_error'));
  });

  it('answers 504 when the engine sends no first byte in time, and frees the slot', async () => {
    const r = await postJson(`${router.url}/v1/completions`, { model: 'm3', prompt: 'x' });
    expect(r.status).toBe(504);
    expect(r.json).toEqual(openAIError('upstream_timeout'));
    await eventually(() => router.app.core.load.get(hanging.url) === 0);
  });
});
