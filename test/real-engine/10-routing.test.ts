/**
 * The router in front of two real vLLM engines (CPU build, tiny local model): routing by model,
 * chat and completions streamed and not through the official openai SDK, the engines' model cards,
 * engine errors passed through, and a request without a model.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { getJson, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { engineState } from './harness/engine-metrics.js';
import { engine, readPool, routerLog } from './harness/pool.js';

describe('the router in front of two real vLLM engines', () => {
  let router: RunningRouter;
  let client: OpenAI;
  const a = () => engine('a');
  const b = () => engine('b');

  beforeAll(async () => {
    router = await startRouter({
      engines: [
        { id: 'a', url: a().url, models: ['tiny', 'tiny-a'] },
        { id: 'b', url: b().url, models: ['tiny', 'tiny-b'] },
      ],
      aliases: { 'gpt-tiny': 'tiny-a' },
      logger: routerLog('routing'),
    });
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
  });

  afterAll(async () => router?.close());

  it('routes by model: tiny-a only ever reaches engine a, tiny-b only engine b', async () => {
    const before = await Promise.all([engineState(a().url), engineState(b().url)]);
    for (const model of ['tiny-a', 'tiny-b', 'tiny-a', 'gpt-tiny']) {
      const r = await client.completions.create({ model, prompt: 'def main():', max_tokens: 2, temperature: 0 });
      expect(r.choices[0]?.text).toEqual(expect.any(String));
    }
    const after = await Promise.all([engineState(a().url), engineState(b().url)]);
    expect(after[0].succeeded - before[0].succeeded).toBe(3);
    expect(after[1].succeeded - before[1].succeeded).toBe(1);
  });

  it('answers chat and completions through the SDK, streamed and not, with usage', async () => {
    const chat = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, temperature: 0 });
    expect(chat.object).toBe('chat.completion');
    expect(chat.choices[0]).toMatchObject({ message: { role: 'assistant', content: expect.any(String) }, finish_reason: 'length' });
    expect(chat.usage).toMatchObject({ completion_tokens: 4, prompt_tokens: expect.any(Number) });

    const text = await client.completions.create({ model: 'tiny', prompt: 'import os', max_tokens: 3, temperature: 0 });
    expect(text.object).toBe('text_completion');
    expect(text.usage?.completion_tokens).toBe(3);

    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 6,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    // Greedy decoding is deterministic: the stream says what the plain answer said, and more.
    expect(content.startsWith(chat.choices[0]!.message.content!)).toBe(true);
    expect(finish).toBe('length');
    // vLLM may merge several tokens into one event: count tokens from usage, not events.
    expect(usage).toMatchObject({ completion_tokens: 6 });

    const textStream = await client.completions.create({ model: 'tiny', prompt: 'import os', max_tokens: 3, temperature: 0, stream: true });
    let streamed = '';
    for await (const chunk of textStream) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(text.choices[0]!.text);
  });

  it('lists the engines\' own model cards: max_model_len, owned_by vllm, root the model path; aliases marked', async () => {
    const models = await client.models.list();
    const byId = new Map(models.data.map((m) => [m.id, m as OpenAI.Model & Record<string, unknown>]));
    expect([...byId.keys()]).toEqual(['tiny', 'tiny-a', 'tiny-b', 'gpt-tiny']);
    for (const id of ['tiny', 'tiny-a', 'tiny-b'])
      expect(byId.get(id)).toMatchObject({ object: 'model', owned_by: 'vllm', root: readPool().prepared.TINY_MODEL, parent: null, max_model_len: 1024 });
    expect(byId.get('gpt-tiny')).toMatchObject({ owned_by: 'vllm', max_model_len: 1024, alias_for: 'tiny-a' });
  });

  it('passes an engine\'s 4xx through with its status and body', async () => {
    const r = await postJson(`${router.url}/v1/completions`, { model: 'tiny-a', prompt: 'x', max_tokens: 5000 });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { type: 'BadRequestError', param: 'max_tokens', code: 400, message: expect.stringContaining('max_model_len') } });
  });

  it('routes a request without a model to the one model a router serves, as vLLM alone would', async () => {
    const solo = await startRouter({ engines: [{ id: 'a', url: a().url, models: ['tiny-a'] }] });
    try {
      const r = await postJson(`${solo.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ object: 'chat.completion' });
      const many = await postJson(`${router.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
      expect(many.status).toBe(400);
    } finally {
      await solo.close();
    }
  });

  it('says in /health that both engines take traffic', async () => {
    const health = (await getJson(`${router.url}/health`)).json as { engines_out_of_routing?: unknown };
    expect(health.engines_out_of_routing).toBeUndefined(); // the reason, when one is out
    expect(health).toMatchObject({ status: 'healthy', routing_table: { engines: 2, ready_engines: 2 } });
  });
});
