import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { getJson, openAIError, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';


describe('bad input gets an OpenAI-shaped error and the router stays up', () => {
  let sim: EngineSim;
  let tgi: EngineSim;
  let router: RunningRouter;

  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'sim', host: '127.0.0.2', models: ['m1'] });
    tgi = await startEngineSim({ engineId: 'tgi', host: '127.0.0.3', models: ['tgi-model'] });
    router = await startRouter(
      {
        engines: [
          { url: sim.url, models: ['m1'] },
          { url: tgi.url, models: ['tgi-model'], backendKind: 'tgi' },
          { url: 'http://127.0.0.5:9', models: ['parked'], ready: false },
        ],
      },
      { maxBodyBytes: 4096, apiKeys: [] },
    );
  });

  afterAll(async () => {
    await router.close();
    await Promise.all([sim.close(), tgi.close()]);
  });

  it('answers 404 model_not_found for a model nobody serves', async () => {
    const r = await postJson(`${router.url}/v1/chat/completions`, { model: 'nope', messages: [] });
    expect(r.status).toBe(404);
    expect(r.json).toEqual(openAIError('model_not_found'));
    expect((r.json as { error: { param: string } }).error.param).toBe('model');
  });

  it('raises NotFoundError in the OpenAI SDK for an unknown model', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  it('answers 400 for a body that is not JSON, and for a missing model', async () => {
    const bad = await postJson(`${router.url}/v1/chat/completions`, '{"model": "m1",');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(openAIError('invalid_json'));
    const noModel = await postJson(`${router.url}/v1/completions`, { prompt: 'x' });
    expect(noModel.status).toBe(400);
    expect(noModel.json).toEqual(openAIError('model_required'));
    const array = await postJson(`${router.url}/v1/completions`, '[1,2]');
    expect(array.status).toBe(400);
  });

  it('answers 413 for a body over the limit, with or without a content-length', async () => {
    const big = await postJson(`${router.url}/v1/completions`, { model: 'm1', prompt: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    expect(big.json).toEqual(openAIError('request_too_large'));
    const chunked = await fetch(`${router.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"model":"m1","prompt":"${'y'.repeat(8000)}"}`));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('answers 501 when the backend kind lacks the endpoint (TGI has no embeddings)', async () => {
    const r = await postJson(`${router.url}/v1/embeddings`, { model: 'tgi-model', input: 'x' });
    expect(r.status).toBe(501);
    expect(r.json).toEqual(openAIError('unsupported_by_backend'));
    expect(tgi.stats.requests['/v1/embeddings']).toBeUndefined();
  });

  it('answers 503 for a model whose only engine is not ready', async () => {
    const r = await postJson(`${router.url}/v1/completions`, { model: 'parked', prompt: 'x' });
    expect(r.status).toBe(503);
    expect(r.json).toEqual(openAIError('no_available_engine'));
  });

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    expect((await getJson(`${router.url}/v1/nothing-here`)).json).toEqual(openAIError('route_not_found'));
    const wrong = await getJson(`${router.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(wrong.json).toEqual(openAIError('method_not_allowed'));
  });

  it('passes engine errors through with their status', async () => {
    sim.setFailure({ errorRate: 1 });
    try {
      const r = await postJson(`${router.url}/v1/completions`, { model: 'm1', prompt: 'x' });
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({ error: { message: expect.any(String) } });
    } finally {
      sim.setFailure({ errorRate: 0 });
    }
    expect((await postJson(`${router.url}/v1/completions`, { model: 'm1', prompt: 'x' })).status).toBe(200);
  });
});

describe('API keys', () => {
  let sim: EngineSim;
  let router: RunningRouter;

  beforeAll(async () => {
    sim = await startEngineSim({ host: '127.0.0.2', models: ['m1'] });
    router = await startRouter({ engines: [{ url: sim.url, models: ['m1'] }] }, { apiKeys: ['key-one', 'key-two'], backendApiKey: 'engine-secret' });
  });

  afterAll(async () => {
    await router.close();
    await sim.close();
  });

  it('refuses /v1 requests without a valid Bearer key with 401', async () => {
    const none = await postJson(`${router.url}/v1/completions`, { model: 'm1', prompt: 'x' });
    expect(none.status).toBe(401);
    expect(none.json).toEqual(openAIError('invalid_api_key'));
    const wrong = await postJson(`${router.url}/v1/completions`, { model: 'm1', prompt: 'x' }, { authorization: 'Bearer key-three' });
    expect(wrong.status).toBe(401);
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'wrong', maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('accepts any configured key and sends the backend key upstream instead', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'key-two', maxRetries: 0 });
    await client.completions.create({ model: 'm1', prompt: 'x' });
    expect(sim.stats.lastRequests.at(-1)?.headers.authorization).toBe('Bearer engine-secret');
  });

  it('lets OPTIONS and non-/v1 paths through without a key', async () => {
    expect((await getJson(`${router.url}/health`)).status).toBe(200);
    expect((await getJson(`${router.url}/metrics`)).status).toBe(200);
    const options = await fetch(`${router.url}/v1/models`, { method: 'OPTIONS' });
    expect(options.status).not.toBe(401);
  });
});
