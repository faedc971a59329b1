import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from './index.js';
import { httpCall, postJson } from './test-client.js';
import { countTokens, outputText } from './tokens.js';
import { renderChatPrompt } from './prompt.js';

interface ChatCompletion {
  id: string;
  object: string;
  model: string;
  system_fingerprint: string;
  choices: Array<{ index: number; message: { role: string; content: string }; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface TextCompletion {
  object: string;
  choices: Array<{ text: string; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe('vllm-engine-sim OpenAI endpoints', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ models: ['llama-3-8b', 'llama-3-8b-lora'], engineId: 'engine-a', outputTokens: 6 });
  });
  afterAll(() => sim.close());

  it('lists its models in the OpenAI list shape, owned by vllm', async () => {
    const res = await httpCall(`${sim.url}/v1/models`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { object: string; data: Array<{ id: string; object: string; owned_by: string }> };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => [m.id, m.object, m.owned_by])).toEqual([
      ['llama-3-8b', 'model', 'vllm'],
      ['llama-3-8b-lora', 'model', 'vllm'],
    ]);
  });

  it('answers /health with 200 and tags every response with x-engine-id', async () => {
    const health = await httpCall(`${sim.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers['x-engine-id']).toBe('engine-a');
    const missing = await httpCall(`${sim.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers['x-engine-id']).toBe('engine-a');
  });

  it('completes a chat without streaming, with usage and the engine id as system_fingerprint', async () => {
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: [{ type: 'text', text: 'Say ' }, { type: 'text', text: 'something.' }] },
    ];
    const { status, headers, json } = await postJson<ChatCompletion>(`${sim.url}/v1/chat/completions`, { model: 'llama-3-8b', messages });
    expect(status).toBe(200);
    expect(headers['x-engine-id']).toBe('engine-a');
    expect(json.object).toBe('chat.completion');
    expect(json.model).toBe('llama-3-8b');
    expect(json.system_fingerprint).toBe('engine-a');
    expect(json.id).toMatch(/^chatcmpl-engine-a-\d+$/);
    expect(json.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: outputText(6) }, finish_reason: 'stop' });
    // Every message (system included) counts toward the prompt.
    const promptTokens = countTokens(renderChatPrompt(messages));
    expect(promptTokens).toBeGreaterThan(countTokens('Say something.'));
    expect(json.usage).toMatchObject({ prompt_tokens: promptTokens, completion_tokens: 6, total_tokens: promptTokens + 6 });
  });

  it('caps the output at max_tokens (or max_completion_tokens) with finish_reason "length"', async () => {
    const url = `${sim.url}/v1/chat/completions`;
    const messages = [{ role: 'user', content: 'hi' }];
    const capped = await postJson<ChatCompletion>(url, { messages, max_tokens: 2 });
    expect(capped.json.choices[0].message.content).toBe('the old');
    expect(capped.json.choices[0].finish_reason).toBe('length');
    expect(capped.json.usage.completion_tokens).toBe(2);
    const newer = await postJson<ChatCompletion>(url, { messages, max_completion_tokens: 3, max_tokens: 100 });
    expect(newer.json.usage.completion_tokens).toBe(3);
    const roomy = await postJson<ChatCompletion>(url, { messages, max_tokens: 100 });
    expect(roomy.json.usage.completion_tokens).toBe(6);
    expect(roomy.json.choices[0].finish_reason).toBe('stop');
    const forced = await postJson<ChatCompletion>(url, { messages, max_tokens: 9, ignore_eos: true });
    expect(forced.json.usage.completion_tokens).toBe(9);
  });

  it('uses the default (first) model when the request names none', async () => {
    const { json } = await postJson<ChatCompletion>(`${sim.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }] });
    expect(json.model).toBe('llama-3-8b');
  });

  it('serves legacy /v1/completions with the 4-characters-per-token rule', async () => {
    const prompt = 'x'.repeat(41);
    const { status, json } = await postJson<TextCompletion>(`${sim.url}/v1/completions`, { model: 'llama-3-8b-lora', prompt, max_tokens: 4 });
    expect(status).toBe(200);
    expect(json.object).toBe('text_completion');
    expect(json.choices[0]).toMatchObject({ text: 'the old fox ran', finish_reason: 'length' });
    expect(json.usage).toEqual(expect.objectContaining({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 }));
  });

  it('records what it received, by path and with the last bodies', async () => {
    await postJson(`${sim.url}/v1/completions`, { prompt: 'remember me' });
    const { requests, lastRequests } = sim.stats;
    expect(requests['/v1/models']).toBe(1);
    expect(requests['/v1/completions']).toBeGreaterThanOrEqual(2);
    const last = lastRequests[lastRequests.length - 1];
    expect(last).toMatchObject({ method: 'POST', path: '/v1/completions', body: { prompt: 'remember me' } });
    expect(last.headers['content-type']).toBe('application/json');
  });
});
