import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from './index.js';
import { httpCall } from './test-client.js';

describe('vllm-engine-sim request errors, in vLLM\'s error shapes', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ models: ['m1'], engineId: 'engine-e' });
  });
  afterAll(() => sim.close());

  it('answers 404 NotFoundError for a model it does not serve', async () => {
    const res = await httpCall(`${sim.url}/v1/chat/completions`, { body: { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] } });
    expect(res.status).toBe(404);
    expect(res.headers['x-engine-id']).toBe('engine-e');
    expect(JSON.parse(res.text)).toEqual({
      error: { message: expect.stringContaining('gpt-9'), type: 'NotFoundError', param: 'model', code: 404 },
    });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await httpCall(`${sim.url}/v1/completions`, { body: '{"prompt": ' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { type: 'BadRequestError', code: 400, param: null } });
  });

  it('answers 400 for a chat without messages and for a bad max_tokens', async () => {
    const noMessages = await httpCall(`${sim.url}/v1/chat/completions`, { body: { model: 'm1' } });
    expect(noMessages.status).toBe(400);
    expect(JSON.parse(noMessages.text)).toMatchObject({ error: { param: 'messages' } });
    const badLimit = await httpCall(`${sim.url}/v1/completions`, { body: { prompt: 'x', max_tokens: -1 } });
    expect(badLimit.status).toBe(400);
    expect(JSON.parse(badLimit.text)).toMatchObject({ error: { param: 'max_tokens' } });
  });

  it('answers 405 for the wrong method and 404 for unknown paths', async () => {
    const wrong = await httpCall(`${sim.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(JSON.parse(wrong.text)).toEqual({ detail: 'Method Not Allowed' });
    const missing = await httpCall(`${sim.url}/v2/whatever`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ detail: 'Not Found' });
  });
});
