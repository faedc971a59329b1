import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { embeddingVector, startEngineSim, type EngineSim } from './index.js';

describe('vllm-engine-sim with the official openai SDK as client', () => {
  let sim: EngineSim;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startEngineSim({ models: ['gpt-sim'], engineId: 'engine-sdk', outputTokens: 4, tokenDelayMs: 2 });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  });
  afterAll(() => sim.close());

  it('completes a chat without streaming', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-sim', messages: [{ role: 'user', content: 'Hello' }] });
    expect(completion.choices[0].message.content).toBe('the old fox ran');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.system_fingerprint).toBe('engine-sdk');
    expect(completion.usage?.completion_tokens).toBe(4);
  });

  it('streams a chat, including the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-sim',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('the old fox ran');
    expect(usage?.completion_tokens).toBe(4);
  });

  it('decodes the base64 embeddings the SDK asks for by default', async () => {
    const res = await client.embeddings.create({ model: 'gpt-sim', input: 'embed me' });
    const expected = Array.from(new Float32Array(embeddingVector('embed me', 8)));
    expect(Array.from(res.data[0].embedding)).toEqual(expected);
  });

  it('surfaces an unknown model as a 404 NotFoundError, as vLLM does', async () => {
    const call = client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    await expect(call).rejects.toMatchObject({ status: 404, type: 'NotFoundError', code: 404 });
  });
});
