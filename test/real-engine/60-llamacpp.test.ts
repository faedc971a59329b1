/**
 * A second real engine kind: llama.cpp's OpenAI server (llama-cpp-python[server], built from PyPI)
 * serving the same tiny model as GGUF, routed as backend kind `llamacpp` beside a real vLLM.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { getJson, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { addEngine, engine, readPool, removeEngine, routerLog } from './harness/pool.js';

describe('llama.cpp beside vLLM', () => {
  let router: RunningRouter;
  let llama: { url: string };
  const prepared = () => readPool().prepared;

  beforeAll(async () => {
    if (!prepared().LLAMACPP_VENV) throw new Error(`llama.cpp server not installed: ${prepared().LLAMACPP_ERROR ?? 'unknown reason'}`);
    // At most two engines at once: this one replaces vLLM engine b.
    await removeEngine('b');
    llama = await addEngine({
      name: 'llama', kind: 'llamacpp', host: '127.0.42.4', port: 0, servedNames: ['tiny-gguf'], cpu: 1,
      model: prepared().TINY_GGUF!, venv: prepared().LLAMACPP_VENV!, cacheDir: '',
    });
    router = await startRouter(
      {
        engines: [
          { id: 'vllm', url: engine('a').url, models: ['tiny'] },
          { id: 'llama', url: llama.url, models: ['tiny-gguf'], backendKind: 'llamacpp' },
        ],
        modelTypes: { 'tiny-gguf': 'chat' },
        logger: routerLog('llamacpp'),
      },
      { engineStatsInterval: 1, staticBackendHealthChecks: true, staticBackendHealthCheckInterval: 1 },
    );
  });

  afterAll(async () => {
    await router?.close();
    await removeEngine('llama');
  });

  it('answers chat through the SDK, streamed and not, with the same tokenizer\'s counts as vLLM', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
    const ask = { messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 3, temperature: 0 };
    const fromLlama = await client.chat.completions.create({ ...ask, model: 'tiny-gguf' });
    const fromVllm = await client.chat.completions.create({ ...ask, model: 'tiny' });
    expect(fromLlama.choices[0]?.message.content).toEqual(expect.any(String));
    expect(fromLlama.usage?.completion_tokens).toBe(3);
    // One tokenizer and chat template, converted: both engines count the same prompt tokens.
    expect(fromLlama.usage?.prompt_tokens).toBe(fromVllm.usage?.prompt_tokens);
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ ...ask, model: 'tiny-gguf', stream: true })) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(fromLlama.choices[0]?.message.content);
  });

  it('refuses what the llamacpp kind lacks with a structured 501, and keeps an engine without /metrics in routing', async () => {
    const r = await postJson(`${router.url}/v1/score`, { model: 'tiny-gguf', text_1: 'a', text_2: 'b' });
    expect(r.status).toBe(501);
    const engines = (await getJson(`${router.url}/engines`)).json as Array<{ engine_id: string; healthy: boolean; outlier?: { ejected: boolean }; stats: { engine: { stale: boolean; stale_reason?: string } } }>;
    const view = engines.find((e) => e.engine_id === 'llama')!;
    // llama-cpp-python's server has no /metrics: stale, but reachable, so not ejected.
    expect(view).toMatchObject({ healthy: true, outlier: { ejected: false }, stats: { engine: { stale: true, stale_reason: 'HTTP 404' } } });
    const models = (await getJson(`${router.url}/v1/models`)).json as { data: Array<{ id: string; owned_by: string }> };
    expect(models.data.find((m) => m.id === 'tiny-gguf')).toMatchObject({ owned_by: expect.any(String) });
  });
});
