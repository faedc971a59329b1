/**
 * Overload control through the router, against engine simulators on loopback and the OpenAI SDK:
 * the per-engine concurrency limit and the router's queue, 429s with Retry-After, a client leaving
 * the queue, priorities, priority forwarding per engine, tenant rate limits, shutdown.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI, { RateLimitError } from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson, openAIError, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import type { RouterAppSettings } from '@vllm-router/proxy';

const MODEL = 'sim-llm';

/** The chat requests an engine received (not the router's /metrics scrapes). */
const inference = (sim: EngineSim) => sim.stats.lastRequests.filter((r) => r.path === '/v1/chat/completions');

describe('admission control', () => {
  const sims: EngineSim[] = [];
  let router: RunningRouter | undefined;

  afterEach(async () => {
    await router?.close();
    router = undefined;
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  /** `n` engines (one slot each, ~100 ms per answer) behind a router with these settings. */
  async function fleet(n: number, settings: Partial<RouterAppSettings>, engine: { priorityScheduling?: boolean[] } = {}) {
    for (let i = 0; i < n; i++) {
      const schedulingPolicy = engine.priorityScheduling?.[i] ? 'priority' : 'fcfs';
      sims.push(await startEngineSim({ engineId: `e${i}`, host: `127.0.0.${i + 2}`, models: [MODEL], maxNumSeqs: 1, tokenDelayMs: 10, outputTokens: 10, schedulingPolicy }));
    }
    router = await startRouter({ engines: sims.map((s, i) => ({ url: s.url, id: s.engineId, models: [MODEL], priorityScheduling: engine.priorityScheduling?.[i] ?? false })) }, settings);
    return { router, client: new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0 }) };
  }

  const chat = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }] });

  it('keeps each engine at --max-concurrency-per-engine: the rest wait in the router, not in the engines', async () => {
    const { client, router } = await fleet(2, { maxConcurrencyPerEngine: 1 });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => client.chat.completions.create({ ...chat(`q${i}`), stream: true }).then(async (stream) => {
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    })));
    expect(answers.every((t) => t.length > 0)).toBe(true);
    for (const sim of sims) expect(sim.stats.maxQueueLength).toBe(0);
    const stats = (await getJson(`${router.url}/stats`)).json as { admission: { queueing: boolean; models: Array<{ model: string; admitted: number; admitted_after_waiting: number; wait_ms: { max: number } }> } };
    expect(stats.admission.queueing).toBe(true);
    const model = stats.admission.models.find((m) => m.model === MODEL)!;
    expect(model.admitted).toBe(8);
    expect(model.admitted_after_waiting).toBeGreaterThanOrEqual(6);
    expect(model.wait_ms.max).toBeGreaterThan(50);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(/vllm_router_queue_wait_seconds_count\{model="sim-llm",priority="0"\} 8/);
    expect(metrics).toMatch(/vllm_router_requests_admitted_total\{model="sim-llm",path="queued"\} [67]/);
  });

  it('answers 429 rate_limit_exceeded with Retry-After at once when the queue is full, through the SDK', async () => {
    const { client, router } = await fleet(1, { maxConcurrencyPerEngine: 1, queueMaxSize: 1 });
    const running = client.chat.completions.create({ ...chat('running'), max_tokens: 40, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await eventually(() => sims[0]!.stats.running === 1);
    const waiting = client.chat.completions.create(chat('waiting'));
    await eventually(async () => ((await getJson(`${router.url}/stats`)).json as { admission: { models: Array<{ queued: number }> } }).admission.models[0]?.queued === 1);
    const started = performance.now();
    const refused = await client.chat.completions.create(chat('refused')).then(() => undefined, (err: unknown) => err);
    expect(performance.now() - started).toBeLessThan(500);
    expect(refused).toBeInstanceOf(RateLimitError);
    const error = refused as RateLimitError;
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await Promise.all([running, waiting]);
    const raw = await postJson(`${router.url}/v1/chat/completions`, chat('after'));
    expect(raw.status).toBe(200);
  });

  it('answers 429 once a request has waited --queue-timeout-seconds, and never sends it on', async () => {
    const { router } = await fleet(1, { maxConcurrencyPerEngine: 1, queueTimeoutSeconds: 0.2 });
    const slow = postJson(`${router.url}/v1/chat/completions`, { ...chat('slow'), max_tokens: 60, ignore_eos: true });
    await eventually(() => sims[0]!.stats.running === 1);
    const started = performance.now();
    const timedOut = await postJson(`${router.url}/v1/chat/completions`, chat('late'));
    const waited = performance.now() - started;
    expect(timedOut.status).toBe(429);
    expect(timedOut.json).toEqual(openAIError('rate_limit_exceeded'));
    expect(timedOut.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1000);
    expect((await slow).status).toBe(200);
    expect(inference(sims[0]!)).toHaveLength(1);
  });

  it('drops a queued request whose client disconnects: it never reaches an engine', async () => {
    const { router } = await fleet(1, { maxConcurrencyPerEngine: 1 });
    const running = postJson(`${router.url}/v1/chat/completions`, { ...chat('running'), max_tokens: 40, ignore_eos: true });
    await eventually(() => sims[0]!.stats.running === 1);
    const client = new AbortController();
    const leaving = fetch(`${router.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat('leaving')), signal: client.signal }).catch((err: unknown) => err);
    await eventually(async () => ((await getJson(`${router.url}/stats`)).json as { admission: { models: Array<{ queued: number }> } }).admission.models[0]?.queued === 1);
    client.abort();
    await leaving;
    await eventually(async () => ((await getJson(`${router.url}/stats`)).json as { admission: { models: Array<{ queued: number }> } }).admission.models[0]?.queued === 0);
    expect((await running).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(inference(sims[0]!)).toHaveLength(1);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toContain('vllm_router_requests_rejected_total{model="sim-llm",reason="client_closed"} 1');
  });

  it('admits waiting requests by priority (header or body field), FIFO within one', async () => {
    const { router } = await fleet(1, { maxConcurrencyPerEngine: 1 });
    const order: string[] = [];
    const send = (tag: string, priority: { header?: string; field?: number }, extra: Record<string, unknown> = {}) =>
      postJson(`${router.url}/v1/chat/completions`, { ...chat(tag), ...extra, ...(priority.field === undefined ? {} : { priority: priority.field }) }, priority.header ? { 'x-request-priority': priority.header } : {}).then((r) => {
        expect(r.status).toBe(200);
        order.push(tag);
      });
    // Long enough (600 ms) for the four others to be queued behind it, one by one.
    const running = send('running', {}, { max_tokens: 60, ignore_eos: true });
    await eventually(() => sims[0]!.stats.running === 1);
    const queued: Array<Promise<void>> = [];
    for (const [tag, priority] of [['low', { field: 10 }], ['default', {}], ['urgent', { header: '-5' }], ['low-2', { header: '10' }]] as const) {
      queued.push(send(tag, priority));
      await eventually(async () => ((await getJson(`${router.url}/stats`)).json as { admission: { models: Array<{ queued: number }> } }).admission.models[0]?.queued === queued.length);
    }
    await Promise.all([running, ...queued]);
    expect(order).toEqual(['running', 'urgent', 'default', 'low', 'low-2']);
    // Engines without priority scheduling never saw the field (fcfs refuses a non-zero one).
    for (const r of inference(sims[0]!)) expect(r.body).not.toHaveProperty('priority');
    const bad = await postJson(`${router.url}/v1/chat/completions`, chat('bad'), { 'x-request-priority': 'high' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(openAIError('invalid_priority'));
  });

  it('forwards the priority only to engines that schedule by it', async () => {
    // Round robin: requests 0 and 2 go to e0 (priority scheduling), 1 and 3 to e1 (fcfs, which would refuse them).
    const { client } = await fleet(2, {}, { priorityScheduling: [true, false] });
    for (let i = 0; i < 4; i++) {
      const params = { ...chat(`p${i}`), priority: 7 } as OpenAI.ChatCompletionCreateParamsNonStreaming;
      const answer = await client.chat.completions.create(params, { headers: i >= 2 ? { 'x-request-priority': '3' } : {} });
      expect(answer.choices[0]?.message.content).toBeTruthy();
    }
    const forwarding = inference(sims[0]!).map((r) => (r.body as { priority?: number }).priority);
    expect(forwarding).toEqual([7, 3]);
    expect(inference(sims[1]!)).toHaveLength(2);
    for (const r of inference(sims[1]!)) expect(r.body).not.toHaveProperty('priority');
  });

  it('rate-limits each tenant by --rate-limit-rpm with x-ratelimit-* headers, tenants named by the API key', async () => {
    const keys = ['sk-team-a', 'sk-team-b'];
    const { router } = await fleet(1, { rateLimitRpm: 2, apiKeys: keys });
    const call = (key: string) => postJson(`${router.url}/v1/chat/completions`, chat('hi'), { authorization: `Bearer ${key}` });
    const first = await call('sk-team-a');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?(ms|s)$/);
    expect((await call('sk-team-a')).status).toBe(200);
    const limited = await call('sk-team-a');
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'requests' } });
    expect(limited.headers.get('retry-after')).toBe('30');
    expect((await call('sk-team-b')).status).toBe(200);
    const stats = (await getJson(`${router.url}/stats`)).json as { admission: { tenants: Array<{ tenant: string; admitted: number; rejected: number }> } };
    const tenants = stats.admission.tenants.map((t) => t.tenant);
    expect(tenants.every((t) => /^key-[0-9a-f]{8}$/.test(t))).toBe(true);
    expect(stats.admission.tenants.find((t) => t.rejected === 1)).toMatchObject({ admitted: 2 });
    expect(JSON.stringify(stats)).not.toContain('sk-team');
  });

  it('charges --rate-limit-tpm from the prompt estimate, settles with the engine\'s usage, and refuses a request over the limit', async () => {
    const { router } = await fleet(1, { rateLimitTpm: 300, tenantHeader: 'x-team' });
    const first = await postJson(`${router.url}/v1/chat/completions`, chat('a short question'), { 'x-team': 'red' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('300');
    const usage = (first.json as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    const stats = (await getJson(`${router.url}/stats`)).json as { admission: { tenants: Array<{ tenant: string; prompt_tokens: number; completion_tokens: number }> } };
    expect(stats.admission.tenants.find((t) => t.tenant === 'red')).toMatchObject({ prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens });
    const streamed = await postJson(`${router.url}/v1/chat/completions`, { ...chat('streamed'), stream: true, stream_options: { include_usage: true } }, { 'x-team': 'red' });
    expect(streamed.status).toBe(200);
    // The bucket now holds 300 minus both answers' usage: a prompt of ~400 tokens is more than a minute's worth.
    const big = await postJson(`${router.url}/v1/chat/completions`, chat('x'.repeat(1600)), { 'x-team': 'red' });
    expect(big.status).toBe(429);
    expect(big.json).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'tokens' } });
    expect((await postJson(`${router.url}/v1/chat/completions`, chat('another tenant'), { 'x-team': 'blue' })).status).toBe(200);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`vllm_router_tenant_tokens_total\\{tenant="red",kind="completion"\\} ${2 * usage.completion_tokens}`));
  });

  it('on shutdown answers queued requests with 503 at once instead of holding the drain', async () => {
    const { router: app } = await fleet(1, { maxConcurrencyPerEngine: 1 });
    const running = postJson(`${app.url}/v1/chat/completions`, { ...chat('running'), max_tokens: 30, ignore_eos: true });
    await eventually(() => sims[0]!.stats.running === 1);
    const queued = postJson(`${app.url}/v1/chat/completions`, chat('queued'));
    await eventually(async () => ((await getJson(`${app.url}/stats`)).json as { admission: { models: Array<{ queued: number }> } }).admission.models[0]?.queued === 1);
    const stopping = app.app.stop(5000);
    const answer = await queued;
    expect(answer.status).toBe(503);
    expect(answer.json).toEqual(openAIError('shutting_down'));
    expect((await running).status).toBe(200);
    expect(await stopping).toBe(true);
    router = undefined;
  });

  it('holds requests back from an engine its scraped waiting queue shows saturated (--max-engine-waiting)', async () => {
    const { router } = await fleet(1, { maxEngineWaiting: 0, engineStatsInterval: 0.1 });
    const long = { ...chat('long'), max_tokens: 15, ignore_eos: true };
    type EngineView = { admission: { has_room: boolean; estimated_waiting?: number; saturated_by?: string } };
    const view = async () => ((await getJson(`${router.url}/engines`)).json as EngineView[])[0]!.admission;
    // Two at once, before any scrape showed the engine full: one runs, one waits in the engine.
    const first = [postJson(`${router.url}/v1/chat/completions`, long), postJson(`${router.url}/v1/chat/completions`, long)];
    await eventually(async () => (await view()).saturated_by === 'waiting');
    const more = Array.from({ length: 4 }, () => postJson(`${router.url}/v1/chat/completions`, long));
    const answers = await Promise.all([...first, ...more]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // From the scrape that showed it full on, the engine never had more than the one waiting request.
    expect(sims[0]!.stats.maxQueueLength).toBe(1);
  });

  it('shows each engine\'s slots and room on /engines', async () => {
    const { router } = await fleet(1, { maxConcurrencyPerEngine: 1 });
    const running = postJson(`${router.url}/v1/chat/completions`, { ...chat('running'), max_tokens: 40, ignore_eos: true });
    await eventually(() => sims[0]!.stats.running === 1);
    const engines = (await getJson(`${router.url}/engines`)).json as Array<{ admission: unknown }>;
    expect(engines[0]!.admission).toEqual({ in_flight: 1, max_concurrency: 1, has_room: false, saturated_by: 'concurrency' });
    await running;
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toContain('vllm_router_queue_depth');
  });
});
