import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim, type EngineSimOptions } from './index.js';
import { httpCall, streamSse, waitFor } from './test-client.js';

describe('vllm-engine-sim failure injection', () => {
  let sim: EngineSim | undefined;
  const start = async (options: EngineSimOptions): Promise<EngineSim> => (sim = await startEngineSim(options));
  afterEach(() => sim?.close());

  const chat = { messages: [{ role: 'user', content: 'hi' }] };

  it('errorRate 1 answers 500 in vLLM\'s error shape; setFailure turns it off at runtime', async () => {
    const s = await start({ errorRate: 1 });
    const failed = await httpCall(`${s.url}/v1/chat/completions`, { body: chat });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.text)).toEqual({
      error: { message: expect.any(String), type: 'InternalServerError', param: null, code: 500 },
    });
    expect(s.stats.injected.errors).toBe(1);

    s.setFailure({ errorRate: 0 });
    expect((await httpCall(`${s.url}/v1/chat/completions`, { body: chat })).status).toBe(200);
  });

  it('never injects failures into health checks, metrics or the model list', async () => {
    const s = await start({ errorRate: 1, hang: true });
    for (const path of ['/health', '/metrics', '/v1/models']) expect((await httpCall(`${s.url}${path}`)).status).toBe(200);
  });

  it('reports unhealthy on /health when asked to', async () => {
    const s = await start({ unhealthy: true });
    expect((await httpCall(`${s.url}/health`)).status).toBe(503);
  });

  it('resetBeforeResponse destroys the connection: the client sees a socket error', async () => {
    const s = await start({ resetBeforeResponse: true });
    await expect(httpCall(`${s.url}/v1/chat/completions`, { body: chat })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(s.stats.injected.resets).toBe(1);
    expect(s.stats.aborted).toBe(0);
  });

  it('resetMidStream cuts a stream after exactly N chunks', async () => {
    const s = await start({ resetMidStream: 3, outputTokens: 10 });
    const result = await streamSse(`${s.url}/v1/chat/completions`, { ...chat, stream: true });
    expect(result.status).toBe(200);
    expect(result.events).toHaveLength(3);
    expect(result.complete).toBe(false);
    await waitFor(() => s.stats.inFlight === 0 && s.stats.running === 0);
    expect(s.stats.aborted).toBe(0);
  });

  it('resetMidStream cuts a non-streaming response halfway through its body', async () => {
    const s = await start({ resetMidStream: 0 });
    await expect(httpCall(`${s.url}/v1/chat/completions`, { body: chat })).rejects.toThrow();
  });

  it('hang accepts the request and never answers; the client giving up counts as an abort', async () => {
    const s = await start({ hang: true });
    await expect(httpCall(`${s.url}/v1/chat/completions`, { body: chat, timeoutMs: 100 })).rejects.toThrow('client timeout');
    await waitFor(() => s.stats.inFlight === 0);
    expect(s.stats.injected.hangs).toBe(1);
    expect(s.stats.aborted).toBe(1);
  });

  it('close() ends hung requests at once instead of waiting for them', async () => {
    const s = await start({ hang: true });
    const pending = httpCall(`${s.url}/v1/chat/completions`, { body: chat });
    await waitFor(() => s.stats.inFlight === 1);
    const startedAt = performance.now();
    await s.close();
    await expect(pending).rejects.toThrow();
    expect(performance.now() - startedAt).toBeLessThan(1000);
  });

  it('counts a client that hangs up mid-stream as aborted and frees its slot', async () => {
    const s = await start({ tokenDelayMs: 20, outputTokens: 50, maxNumSeqs: 1 });
    const result = await streamSse(`${s.url}/v1/chat/completions`, { ...chat, stream: true }, 2);
    expect(result.complete).toBe(false);
    await waitFor(() => s.stats.inFlight === 0 && s.stats.running === 0);
    expect(s.stats.aborted).toBe(1);
    expect(s.stats.finished.abort).toBe(1);
    expect(s.stats.generationTokens).toBeLessThan(50);
    // The slot is free again: the next request is served.
    expect((await httpCall(`${s.url}/v1/completions`, { body: { prompt: 'x', max_tokens: 1 } })).status).toBe(200);
  });
});
