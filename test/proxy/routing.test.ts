import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { getJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

describe('routing by model through the OpenAI SDK', () => {
  let llamaA: EngineSim;
  let llamaB: EngineSim;
  let opt: EngineSim;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    llamaA = await startEngineSim({ engineId: 'llama-a', host: '127.0.0.2', models: ['meta-llama/Llama-3.1-8B-Instruct'] });
    llamaB = await startEngineSim({ engineId: 'llama-b', host: '127.0.0.3', models: ['meta-llama/Llama-3.1-8B-Instruct'] });
    opt = await startEngineSim({ engineId: 'opt', host: '127.0.0.4', models: ['facebook/opt-125m'] });
    router = await startRouter({
      engines: [
        { url: llamaA.url, models: ['meta-llama/Llama-3.1-8B-Instruct'] },
        { url: llamaB.url, models: ['meta-llama/Llama-3.1-8B-Instruct'] },
        { url: opt.url, models: ['facebook/opt-125m'] },
      ],
      aliases: { gpt4: 'meta-llama/Llama-3.1-8B-Instruct' },
    });
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([llamaA.close(), llamaB.close(), opt.close()]);
  });

  it('sends each request to an engine that serves its model', async () => {
    const chat = await client.chat.completions.create({ model: 'facebook/opt-125m', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.system_fingerprint).toBe('opt');
    const completion = await client.completions.create({ model: 'meta-llama/Llama-3.1-8B-Instruct', prompt: 'San Francisco is a' });
    expect(['llama-a', 'llama-b']).toContain(completion.system_fingerprint);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('resolves an alias, and the engine receives the real model name', async () => {
    const before = llamaA.stats.totalRequests + llamaB.stats.totalRequests;
    const chat = await client.chat.completions.create({ model: 'gpt4', messages: [{ role: 'user', content: 'alias?' }] });
    expect(['llama-a', 'llama-b']).toContain(chat.system_fingerprint);
    expect(llamaA.stats.totalRequests + llamaB.stats.totalRequests).toBe(before + 1);
    const served = chat.system_fingerprint === 'llama-a' ? llamaA : llamaB;
    expect(served.stats.lastRequests.at(-1)?.body).toMatchObject({ model: 'meta-llama/Llama-3.1-8B-Instruct' });
  });

  it('spreads requests for one model evenly in round robin', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await client.chat.completions.create({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: `n${i}` }] });
      seen.push(r.system_fingerprint ?? '');
    }
    expect(seen.filter((s) => s === 'llama-a')).toHaveLength(5);
    expect(seen.filter((s) => s === 'llama-b')).toHaveLength(5);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  it('routes embeddings by model too', async () => {
    const e = await client.embeddings.create({ model: 'facebook/opt-125m', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
  });

  it('pins a request to one engine with ?id=', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await client.chat.completions.create(
        { model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'pin' }] },
        { query: { id: llamaB.url } },
      );
      expect(r.system_fingerprint).toBe('llama-b');
    }
  });

  it('lists every model once, and the aliases, on /v1/models', async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids.sort()).toEqual(['facebook/opt-125m', 'gpt4', 'meta-llama/Llama-3.1-8B-Instruct']);
  });

  it('shows engines, health, version and metrics', async () => {
    const engines = await getJson(`${router.url}/engines`);
    expect(engines.json).toEqual(
      expect.arrayContaining([expect.objectContaining({ engine_id: opt.url, serving_models: ['facebook/opt-125m'], ready: true, healthy: true })]),
    );
    const health = await getJson(`${router.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'healthy', routing_table: { routing_logic: 'roundrobin', engines: 3 } });
    expect((await getJson(`${router.url}/version`)).json).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const metrics = await fetch(`${router.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/vllm:num_incoming_requests_total\{model="gpt4"\} 1/);
    expect(metrics).toContain('vllm:request_latency_seconds_bucket');
    expect(metrics).toContain('vllm:num_requests_running');
  });

  it('returns the client X-Request-Id, or a generated one, and passes it to the engine', async () => {
    const given = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-123' },
      body: JSON.stringify({ model: 'facebook/opt-125m', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    expect(opt.stats.lastRequests.at(-1)?.headers['x-request-id']).toBe('trace-123');
    const generated = await fetch(`${router.url}/v1/models`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('behind a path prefix (--root-path)', () => {
  it('serves the OpenAI API under the prefix and sends engines the plain path', async () => {
    const sim = await startEngineSim({ host: '127.0.0.2', models: ['m1'] });
    const router = await startRouter({ engines: [{ url: sim.url, models: ['m1'] }] }, { rootPath: '/llm' });
    try {
      const client = new OpenAI({ baseURL: `${router.url}/llm/v1`, apiKey: 'x', maxRetries: 0 });
      await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
      expect(sim.stats.lastRequests.at(-1)?.path).toBe('/v1/chat/completions');
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['m1']);
    } finally {
      await router.close();
      await sim.close();
    }
  });
});
