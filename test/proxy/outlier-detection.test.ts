import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson, openAIError, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

interface EngineView {
  engine_id: string;
  healthy: boolean;
  out_of_routing?: string;
  outlier?: { ejected: boolean; trial: boolean; reason?: string; ejections: number };
}

const engines = async (router: RunningRouter) => (await getJson(`${router.url}/engines`)).json as EngineView[];
const engineView = async (router: RunningRouter, id: string) => (await engines(router)).find((e) => e.engine_id === id)!;
const gauge = async (router: RunningRouter, ready: 'true' | 'false') => {
  const text = await (await fetch(`${router.url}/metrics`)).text();
  return Number(new RegExp(`^vllm_router_engines\\{ready="${ready}"\\} (\\d+)`, 'm').exec(text)?.[1]);
};

describe('a killed engine: ejected at once, traffic goes to the other, back when it listens again', () => {
  let a: EngineSim;
  let b: EngineSim | undefined;
  let router: RunningRouter;

  afterAll(async () => {
    await router?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('sends nothing more to a stopped engine after its first failure, says so in /health, /engines and the gauge, and takes it back', async () => {
    a = await startEngineSim({ engineId: 'a', host: '127.0.0.2', models: ['m'] });
    b = await startEngineSim({ engineId: 'b', host: '127.0.0.3', models: ['m'] });
    const bPort = Number(new URL(b.url).port);
    router = await startRouter({ engines: [{ url: a.url, id: 'a', models: ['m'] }, { url: b.url, id: 'b', models: ['m'] }] }, { outlierProbeIntervalSeconds: 0.05 });
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
    expect((await getJson(`${router.url}/health`)).json).toMatchObject({ status: 'healthy', routing_table: { engines: 2, ready_engines: 2 } });

    await b.close();
    b = undefined;
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `${i}` }] }).withResponse();
      served.push(r.data.system_fingerprint ?? '');
    }
    expect(served).toEqual(Array(6).fill('a'));
    // At most one request tried the dead engine (then it was ejected): roundrobin would have sent it 3.
    const retries = (await (await fetch(`${router.url}/metrics`)).text()).match(/vllm_router_upstream_retries_total\{server="[^"]+"\} (\d+)/);
    expect(Number(retries?.[1] ?? 0)).toBeLessThanOrEqual(1);
    expect(await engineView(router, 'b')).toMatchObject({ healthy: false, out_of_routing: expect.stringMatching(/^ejected: connect: ECONNREFUSED/), outlier: { ejected: true } });
    const health = await getJson(`${router.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'degraded', routing_table: { engines: 2, ready_engines: 1 }, engines_out_of_routing: [{ engine: 'b', reason: expect.stringMatching(/^ejected/) }] });
    expect([await gauge(router, 'true'), await gauge(router, 'false')]).toEqual([1, 1]);
    expect(await (await fetch(`${router.url}/metrics`)).text()).toMatch(/vllm_router_engine_ejections_total\{server="http:\/\/127\.0\.0\.3:\d+",signal="connect"\} 1/);

    b = await startEngineSim({ engineId: 'b', host: '127.0.0.3', port: bPort, models: ['m'] });
    await eventually(async () => !(await engineView(router, 'b')).outlier?.ejected, 5000);
    expect((await getJson(`${router.url}/health`)).json).toMatchObject({ status: 'healthy', routing_table: { ready_engines: 2 } });
    expect(await gauge(router, 'true')).toBe(2);
    const again = await Promise.all([0, 1, 2, 3].map((i) => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `again ${i}` }] })));
    expect(new Set(again.map((r) => r.system_fingerprint))).toEqual(new Set(['a', 'b']));
  });
});

describe('a failed /metrics scrape', () => {
  let gone: EngineSim;
  let router: RunningRouter;
  const extra: EngineSim[] = [];

  afterAll(async () => {
    await router?.close();
    await Promise.all(extra.map((e) => e.close()));
  });

  it('ejects the engine with no request sent to it', async () => {
    gone = await startEngineSim({ engineId: 'gone', host: '127.0.0.8', models: ['m'] });
    const other = await startEngineSim({ engineId: 'other', host: '127.0.0.9', models: ['m'] });
    extra.push(other);
    router = await startRouter({ engines: [{ url: gone.url, id: 'gone', models: ['m'] }, { url: other.url, id: 'other', models: ['m'] }] }, { engineStatsInterval: 0.1 });
    await gone.close();
    await eventually(async () => (await engineView(router, 'gone')).outlier?.ejected === true, 3000);
    expect((await engineView(router, 'gone')).outlier?.reason).toMatch(/^scrape: GET \/metrics: .*ECONNREFUSED/);
    for (let i = 0; i < 3; i++) expect((await postJson(`${router.url}/v1/completions`, { model: 'm', prompt: `x${i}` })).status).toBe(200);
    expect(gone.stats.requests['/v1/completions']).toBeUndefined();
  });

  it('still routes a model whose every engine is ejected (panic mode): a request tries them rather than none', async () => {
    await router.close();
    const lonely = await startEngineSim({ engineId: 'lonely', host: '127.0.0.10', models: ['solo'] });
    extra.push(lonely);
    router = await startRouter({ engines: [{ url: lonely.url, id: 'lonely', models: ['solo'] }] }, { engineStatsInterval: 3600 });
    router.app.outliers?.failed('lonely', 'reset', 'a transient reset');
    expect((await engineView(router, 'lonely')).outlier?.ejected).toBe(true);
    expect((await postJson(`${router.url}/v1/completions`, { model: 'solo', prompt: 'x' })).status).toBe(200);
  });
});

describe('an engine answering 5xx', () => {
  let sick: EngineSim;
  let well: EngineSim;
  let router: RunningRouter;

  afterAll(async () => {
    await router?.close();
    await Promise.all([sick?.close(), well?.close()]);
  });

  it('is ejected after consecutive 5xx answers and comes back on trial when its interval ends', async () => {
    sick = await startEngineSim({ engineId: 'sick', host: '127.0.0.4', models: ['m'], errorRate: 1 });
    well = await startEngineSim({ engineId: 'well', host: '127.0.0.5', models: ['m'] });
    router = await startRouter(
      { engines: [{ url: sick.url, id: 'sick', models: ['m'] }, { url: well.url, id: 'well', models: ['m'] }] },
      { outlierConsecutiveFailures: 2, outlierBaseEjectionSeconds: 0.3 },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await postJson(`${router.url}/v1/completions`, { model: 'm', prompt: `${i}` })).status);
    // Roundrobin: the sick engine answers 500 twice, then takes nothing more.
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(await engineView(router, 'sick')).toMatchObject({ outlier: { ejected: true, reason: 'status_5xx: HTTP 500' } });
    sick.setFailure({ errorRate: 0 });
    await eventually(async () => (await engineView(router, 'sick')).outlier?.trial === true, 3000);
    await eventually(async () => {
      await postJson(`${router.url}/v1/completions`, { model: 'm', prompt: 'trial' });
      return (await engineView(router, 'sick')).outlier?.trial === false;
    }, 3000);
    expect(await engineView(router, 'sick')).toMatchObject({ healthy: true, outlier: { ejected: false, trial: false } });
  });
});

describe('a request without a model', () => {
  let one: EngineSim;
  let two: EngineSim;
  let router: RunningRouter | undefined;
  const lines: string[] = [];

  afterEach(async () => {
    await router?.close();
    router = undefined;
  });
  afterAll(async () => Promise.all([one?.close(), two?.close()]));

  it('goes to the one routable model, and the access line says the model was defaulted', async () => {
    one = await startEngineSim({ engineId: 'one', host: '127.0.0.6', models: ['only'] });
    const logger = winston.createLogger({
      level: 'info',
      format: winston.format.printf(({ message }) => String(message)),
      transports: [new winston.transports.Stream({ stream: new Writable({ write: (c: Buffer, _e, next) => (lines.push(c.toString()), next()) }) })],
    });
    router = await startRouter({ engines: [{ url: one.url, models: ['only'] }], aliases: { nick: 'only' }, logger });
    const r = await postJson(`${router.url}/v1/completions`, { prompt: 'hello', max_tokens: 2 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ model: 'only' });
    expect(one.stats.lastRequests.at(-1)?.body).toMatchObject({ model: 'only' });
    await eventually(() => lines.some((l) => l.includes(`id=${r.headers.get('x-request-id')}`)));
    expect(lines.find((l) => l.includes(`id=${r.headers.get('x-request-id')}`))).toMatch(/ model=only model_defaulted=true /);
  });

  it('is still a 400 model_required when several models are routable', async () => {
    two = await startEngineSim({ engineId: 'two', host: '127.0.0.7', models: ['other'] });
    router = await startRouter({ engines: [{ url: one.url, models: ['only'] }, { url: two.url, models: ['other'] }] });
    const r = await postJson(`${router.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }] });
    expect(r.status).toBe(400);
    expect(r.json).toEqual(openAIError('model_required'));
  });

  it('uses the one model left routable when the other\'s only engine is not ready', async () => {
    router = await startRouter({ engines: [{ url: one.url, models: ['only'] }, { url: two.url, models: ['other'], ready: false }] });
    const r = await postJson(`${router.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ model: 'only' });
  });
});
