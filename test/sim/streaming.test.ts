import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from './index.js';
import { jsonEvents, streamSse } from './test-client.js';

interface ChatChunk {
  object: string;
  system_fingerprint: string;
  choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

interface TextChunk {
  object: string;
  choices: Array<{ text: string; finish_reason: string | null }>;
}

describe('vllm-engine-sim streaming', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'engine-s', tokenDelayMs: 40, outputTokens: 5 });
  });
  afterAll(() => sim.close());

  const chat = { model: 'sim-model', messages: [{ role: 'user', content: 'stream please' }], stream: true };

  it('sends one SSE chunk per token, spaced by tokenDelayMs, then a final chunk and [DONE]', async () => {
    const result = await streamSse(`${sim.url}/v1/chat/completions`, chat);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('text/event-stream');
    expect(result.headers['x-engine-id']).toBe('engine-s');
    expect(result.complete).toBe(true);
    expect(result.events[result.events.length - 1].data).toBe('[DONE]');

    const chunks = jsonEvents<ChatChunk>(result);
    // As vLLM: no system_fingerprint on stream chunks (the engine is named by x-engine-id, and in the usage chunk).
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && !('system_fingerprint' in c))).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const tokens = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(tokens.map((c) => c.choices[0].delta.content).join('')).toBe('the old fox ran far');
    expect(chunks[chunks.length - 1].choices[0]).toMatchObject({ delta: { content: ' far' }, finish_reason: 'stop', stop_reason: null });

    // Token events arrive separately, about 40 ms apart. Client and sim share one event loop, so on a busy
    // machine one late read can shrink one gap: all gaps but one must be >= 25 ms, and the stream must last.
    const tokenTimes = result.events.filter((e) => e.data.includes('"content":"') && !e.data.includes('"role"')).map((e) => e.at);
    expect(tokenTimes).toHaveLength(5);
    const gaps = tokenTimes.slice(1).map((t, i) => t - tokenTimes[i]);
    expect([...gaps].sort((a, b) => a - b)[1]).toBeGreaterThanOrEqual(25);
    expect(tokenTimes[4] - result.startedAt).toBeGreaterThanOrEqual(4 * 39);
  });

  it('adds the usage chunk when stream_options.include_usage is set, as vLLM does', async () => {
    const result = await streamSse(`${sim.url}/v1/chat/completions`, { ...chat, max_tokens: 2, stream_options: { include_usage: true } });
    const chunks = jsonEvents<ChatChunk>(result);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 2, total_tokens: (last.usage?.prompt_tokens ?? 0) + 2 });
    expect(chunks.slice(0, -1).some((c) => 'usage' in c)).toBe(false); // vLLM sends no "usage": null before it
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('length');
  });

  it('leaves usage out of the stream by default', async () => {
    const result = await streamSse(`${sim.url}/v1/chat/completions`, { ...chat, max_tokens: 1 });
    expect(jsonEvents<ChatChunk>(result).some((c) => 'usage' in c)).toBe(false);
  });

  it('streams /v1/completions as text_completion chunks', async () => {
    const result = await streamSse(`${sim.url}/v1/completions`, { prompt: 'Once upon a time', max_tokens: 3, stream: true });
    const chunks = jsonEvents<TextChunk>(result);
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    // As vLLM: the last token's chunk carries the finish reason.
    expect(chunks.map((c) => c.choices[0].text)).toEqual(['the', ' old', ' fox']);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('length');
    expect(result.events[result.events.length - 1].data).toBe('[DONE]');
  });
});
