import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim, type EngineSimOptions } from '../sim/index.js';
import { deadUrl, openAIError, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter, type TestEngine } from '../helpers/router.js';
import type { RouterAppSettings } from '@vllm-router/proxy';

const CHAT = '/v1/chat/completions';
const chat = (tag: string) => ({ model: 'm', messages: [{ role: 'user', content: `${tag}: `.padEnd(2000, 'long prompt ') }] });
const countOf = (sim: EngineSim) => sim.stats.requests[CHAT] ?? 0;
const total = (sims: EngineSim[]) => sims.reduce((n, s) => n + countOf(s), 0);

const NO_OUTLIERS: Partial<RouterAppSettings> = { outlierDetection: false };

describe('disaggregated prefill: failures', () => {
  const sims: EngineSim[] = [];
  let router: RunningRouter | undefined;
  let host = 2;
  afterEach(async () => {
    await router?.close();
    router = undefined;
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  const sim = async (id: string, role: 'prefill' | 'decode' | undefined, options: EngineSimOptions = {}) => {
    const s = await startEngineSim({ engineId: id, host: `127.0.0.${host++}`, models: ['m'], outputTokens: 3, ...(role ? { role } : {}), ...options });
    sims.push(s);
    return s;
  };
  const entry = (s: EngineSim, role: 'prefill' | 'decode'): TestEngine => ({ id: s.engineId, url: s.url, models: ['m'], role });
  const route = async (engines: TestEngine[], settings: Partial<RouterAppSettings> = {}) =>
    (router = await startRouter({ engines, routingLogic: 'disaggregated_prefill_orchestrated' }, settings));
  const metrics = () => fetch(`${router!.url}/metrics`).then((r) => r.text());
  const ask = (tag: string) => postJson(`${router!.url}${CHAT}`, chat(tag));

  it('retries a prefill engine that cannot be reached, or answers 5xx, on another prefill engine', async () => {
    const good = await sim('p-good', 'prefill');
    const failing = await sim('p-500', 'prefill', { errorRate: 1 });
    const decode = await sim('d', 'decode');
    // The flow's own retries: outlier detection off, or the first scrape would eject the dead engine
    // before any request reached it (test/proxy/outlier-detection.test.ts covers that path).
    await route([{ id: 'p-dead', url: await deadUrl(), models: ['m'], role: 'prefill' }, entry(failing, 'prefill'), entry(good, 'prefill'), entry(decode, 'decode')], NO_OUTLIERS);
    for (let i = 0; i < 6; i++) {
      const r = await ask(`retry-${i}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-engine-id')).toBe('d');
    }
    expect(countOf(good)).toBe(6);
    expect(countOf(decode)).toBe(6);
    const text = await metrics();
    expect(text).toMatch(/vllm_router_pd_retries_total\{role="prefill",reason="prefill_failed"\} [1-9]/);
    expect(text).toMatch(/vllm_router_pd_requests_total\{server="http:\/\/127\.0\.0\.9:\d+",role="prefill",status="error"\} [1-9]/);
    expect(text).toContain(`vllm_router_pd_requests_total{server="${failing.url}",role="prefill",status="5xx"}`);
  });

  it("relays a prefill engine's 4xx as the answer, without a decode leg", async () => {
    const prefill = await sim('p', 'prefill');
    const other = await sim('p2', 'prefill');
    const decode = await sim('d', 'decode');
    await route([entry(prefill, 'prefill'), entry(other, 'prefill'), entry(decode, 'decode')]);
    const r = await postJson(`${router!.url}${CHAT}`, { model: 'm', messages: [{ role: 'user', content: 42 }] });
    expect(r.status).toBe(400);
    expect(r.json).toEqual(openAIError(400));
    expect(total([prefill, other])).toBe(1);
    expect(countOf(decode)).toBe(0);
  });

  it("relays the last prefill engine's 5xx when every one fails, and answers 502 prefill_failed without kv_transfer_params", async () => {
    const failing = await sim('p-500', 'prefill', { errorRate: 1 });
    const noConnector = await sim('p-plain', undefined);
    const decode = await sim('d', 'decode');
    await route([entry(failing, 'prefill'), entry(decode, 'decode')]);
    const all = await ask('all-fail');
    expect(all.status).toBe(500); // the last prefill engine's own error, relayed
    expect(all.json).toEqual(openAIError(500));
    await router!.close();
    await route([{ ...entry(noConnector, 'prefill') }, entry(decode, 'decode')]);
    const r = await ask('no-connector');
    expect(r.status).toBe(502);
    expect(r.json).toEqual(openAIError('prefill_failed'));
    expect((r.json as { error: { message: string } }).error.message).toContain('no kv_transfer_params');
    expect(countOf(decode)).toBe(0);
  });

  it('retries a decode engine that resets before its first byte on another one, after a fresh prefill', async () => {
    const prefill = await sim('p', 'prefill');
    const resetting = await sim('d-reset', 'decode', { resetBeforeResponse: true });
    const good = await sim('d-good', 'decode');
    await route([entry(prefill, 'prefill'), entry(resetting, 'decode'), entry(good, 'decode')]);
    for (let i = 0; i < 4; i++) {
      const r = await ask(`decode-reset-${i}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-engine-id')).toBe('d-good');
    }
    expect(countOf(resetting)).toBeGreaterThan(0);
    // One prefill per request, plus one more each time the resetting engine may have pulled the blocks.
    expect(countOf(prefill)).toBe(4 + countOf(resetting));
    expect(await metrics()).toMatch(/vllm_router_pd_retries_total\{role="decode",reason="decode_failed"\} [1-9]/);
  });

  it('retries an unreachable decode engine with the same kv_transfer_params (the request never reached it)', async () => {
    const prefill = await sim('p', 'prefill');
    const good = await sim('d-good', 'decode');
    await route([entry(prefill, 'prefill'), { id: 'd-dead', url: await deadUrl(), models: ['m'], role: 'decode' }, entry(good, 'decode')], NO_OUTLIERS);
    for (let i = 0; i < 4; i++) expect((await ask(`decode-dead-${i}`)).status).toBe(200);
    expect(countOf(prefill)).toBe(4);
    expect(countOf(good)).toBe(4);
    expect(await metrics()).toMatch(/vllm_router_pd_retries_total\{role="decode",reason="decode_unreachable"\} [1-9]/);
  });

  it('retries a decode engine that answers 5xx, and relays the 5xx when no other decode engine is left', async () => {
    const prefill = await sim('p', 'prefill');
    const failing = await sim('d-500', 'decode', { errorRate: 1 });
    const good = await sim('d-good', 'decode');
    await route([entry(prefill, 'prefill'), entry(failing, 'decode'), entry(good, 'decode')]);
    for (let i = 0; i < 4; i++) expect((await ask(`decode-500-${i}`)).status).toBe(200);
    expect(countOf(prefill)).toBe(4 + countOf(failing));
    await router!.close();
    await route([entry(prefill, 'prefill'), entry(failing, 'decode')]);
    const r = await ask('only-failing');
    expect(r.status).toBe(500);
    expect(r.json).toEqual(openAIError(500));
  });

  it('answers 502 when every decode engine fails before its first byte, without prefilling again for nothing', async () => {
    const prefill = await sim('p', 'prefill');
    const resetting = await sim('d-reset', 'decode', { resetBeforeResponse: true });
    await route([entry(prefill, 'prefill'), entry(resetting, 'decode')]);
    const r = await ask('decode-all-reset');
    expect(r.status).toBe(502);
    expect(r.json).toEqual(openAIError('upstream_error'));
    expect(countOf(prefill)).toBe(1);
  });

  it('answers 504 when a decode engine sends no first byte in time, without retrying (request migration off)', async () => {
    const prefill = await sim('p', 'prefill');
    const hanging = await sim('d-hang', 'decode', { hang: true });
    const good = await sim('d-good', 'decode');
    // A fresh router's first decode pick is the first listed of equally loaded engines: the hanging one.
    await route([entry(prefill, 'prefill'), entry(hanging, 'decode'), entry(good, 'decode')], { firstByteTimeoutMs: 300, requestMigrationAttempts: 0 });
    const r = await ask('decode-hang');
    expect(r.status).toBe(504);
    expect(r.json).toEqual(openAIError('upstream_timeout'));
    expect(countOf(good)).toBe(0);
  });

  it('with request migration on (the default), a decode engine silent past the first-byte timeout is replaced: fresh prefill, another decode engine', async () => {
    const prefill = await sim('p', 'prefill');
    const hanging = await sim('d-hang', 'decode', { hang: true });
    const good = await sim('d-good', 'decode');
    await route([entry(prefill, 'prefill'), entry(hanging, 'decode'), entry(good, 'decode')], { firstByteTimeoutMs: 300 });
    const r = await ask('decode-hang-migrated');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-engine-id')).toBe('d-good');
    expect(countOf(prefill)).toBe(2);
  });

  it('answers 503 at once, in the OpenAI shape, when there is no prefill or no decode engine', async () => {
    const prefill = await sim('p', 'prefill');
    const decode = await sim('d', 'decode');
    await route([entry(decode, 'decode'), { id: 'plain', url: prefill.url, models: ['m'] }]);
    const noPrefill = await ask('no-prefill');
    expect(noPrefill.status).toBe(503);
    expect(noPrefill.json).toEqual(openAIError('no_prefill_engine'));
    await router!.close();
    await route([entry(prefill, 'prefill'), { id: 'down', url: decode.url, models: ['m'], role: 'decode', ready: false }]);
    const noDecode = await ask('no-decode');
    expect(noDecode.status).toBe(503);
    expect(noDecode.json).toEqual(openAIError('no_decode_engine'));
    expect(countOf(prefill) + countOf(decode)).toBe(0);
  });
});
