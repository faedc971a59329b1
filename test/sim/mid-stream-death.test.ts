import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim, type EngineSimOptions } from './index.js';
import { httpCall, jsonEvents, streamSse, waitFor } from './test-client.js';

/** Reads an SSE response for at most `ms`: the events so far, and whether the response ended in that time. */
async function readFor(url: string, body: unknown, ms: number): Promise<{ events: string[]; ended: boolean }> {
  const controller = new AbortController();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // aborted by the timer: the stream was still open
  } finally {
    clearTimeout(timer);
  }
  return { events: text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6)), ended };
}

describe('vllm-engine-sim dying mid-stream', () => {
  let sim: EngineSim | undefined;
  const start = async (options: EngineSimOptions): Promise<EngineSim> => (sim = await startEngineSim({ outputTokens: 10, ...options }));
  afterEach(() => sim?.close());

  const chat = { messages: [{ role: 'user', content: 'hi' }], stream: true };

  it('reset: destroys the connection after N chunks', async () => {
    const s = await start({ dieAfterChunks: 3, deathMode: 'reset' });
    const result = await streamSse(`${s.url}/v1/chat/completions`, chat);
    expect(result.events).toHaveLength(3);
    expect(result.complete).toBe(false);
    expect(s.stats.injected.resets).toBe(1);
  });

  it('fin: ends the response cleanly after N chunks, without a final chunk or [DONE]', async () => {
    const s = await start({ dieAfterChunks: 4, deathMode: 'fin' });
    const result = await streamSse(`${s.url}/v1/chat/completions`, chat);
    expect(result.complete).toBe(true);
    expect(result.events.map((e) => e.data)).not.toContain('[DONE]');
    expect(jsonEvents<{ choices: Array<{ finish_reason: string | null }> }>(result).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
    expect(result.events).toHaveLength(4);
    await waitFor(() => s.stats.running === 0);
    expect(s.stats.injected.deaths).toBe(1);
    expect(s.stats.aborted).toBe(0);
  });

  it("error-event: sends vLLM's error event and [DONE] after N chunks", async () => {
    const s = await start({ dieAfterChunks: 2, deathMode: 'error-event' });
    const result = await streamSse(`${s.url}/v1/completions`, { prompt: 'x', stream: true });
    expect(result.complete).toBe(true);
    const data = result.events.map((e) => e.data);
    expect(data).toHaveLength(4);
    expect(JSON.parse(data[2]!)).toEqual({ error: { message: expect.any(String), type: 'InternalServerError', param: null, code: 500 } });
    expect(data[3]).toBe('[DONE]');
  });

  it('stall: sends nothing after N chunks and keeps the connection open', async () => {
    const s = await start({ dieAfterChunks: 3, deathMode: 'stall', tokenDelayMs: 5 });
    const result = await readFor(`${s.url}/v1/chat/completions`, chat, 300);
    expect(result.events).toHaveLength(3);
    expect(result.ended).toBe(false);
    await waitFor(() => s.stats.inFlight === 0);
    expect(s.stats.aborted).toBe(0);
  });

  it('non-streamed: fin and stall break the body halfway; error-event answers 500', async () => {
    const body = { messages: [{ role: 'user', content: 'hi' }] };
    const fin = await start({ dieAfterChunks: 1, deathMode: 'fin' });
    await expect(httpCall(`${fin.url}/v1/chat/completions`, { body })).rejects.toThrow();
    fin.setFailure({ deathMode: 'stall' });
    await expect(httpCall(`${fin.url}/v1/chat/completions`, { body, timeoutMs: 300 })).rejects.toThrow('client timeout');
    fin.setFailure({ deathMode: 'error-event' });
    const failed = await httpCall(`${fin.url}/v1/chat/completions`, { body });
    expect(failed.status).toBe(500);
    fin.setFailure({ dieAfterChunks: null });
    expect((await httpCall(`${fin.url}/v1/chat/completions`, { body })).status).toBe(200);
  });
});
