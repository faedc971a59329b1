import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import type { Socket } from 'node:net';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { jsonAnswer, sleep, SSE_HEAD, sseChunk, startFakeEngine, type FakeEngine } from '../helpers/fake-engine.js';
import { eventually, openAIError, postJson } from '../helpers/http.js';
import { spawnRouter } from '../helpers/process.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

const CHAT = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
const COMPLETION = '{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
const delta = (text: string) => JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });

/** A normal answer: JSON, or an SSE stream of three events and [DONE] when the request asks to stream. */
function healthy(socket: Socket, head: string): void {
  if (!head.startsWith('POST')) return void socket.end(jsonAnswer(404, '{"error":{"message":"no","type":"x","param":null,"code":"x"}}'));
  socket.write(jsonAnswer(200, COMPLETION));
}

/**
 * Engine faults end to end, with engines on raw sockets that misbehave as real ones do: a FIN before
 * the first byte, death mid-stream, bytes that are not HTTP, answers that trickle or stall.
 */
describe('engine faults', () => {
  let engine: FakeEngine;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    engine = await startFakeEngine('127.0.0.6', healthy);
    router = await startRouter({ engines: [{ url: engine.url, models: ['m'] }] }, { firstByteTimeoutMs: 500, connectTimeoutMs: 500, engineStatsInterval: 3600 });
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  });

  afterEach(() => engine.setBehaviour(healthy));

  afterAll(async () => {
    await router.close();
    await engine.close();
  });

  const nextRequestWorks = async () => {
    engine.setBehaviour(healthy);
    const r = await client.chat.completions.create(CHAT);
    expect(r.choices[0]?.message.content).toBe('ok');
    await eventually(() => router.app.core.load.get(engine.url) === 0);
  };

  it('an engine that closes (FIN) before the first byte: 502 in the OpenAI shape, then the next request works', async () => {
    engine.setBehaviour((socket) => void socket.end());
    const r = await postJson(`${router.url}/v1/chat/completions`, CHAT);
    expect(r.status).toBe(502);
    expect(r.json).toEqual(openAIError('upstream_error'));
    await nextRequestWorks();
  });

  it('a FIN before the first byte is retried on another engine of the model', async () => {
    const closing = await startFakeEngine('127.0.0.8', (socket) => void socket.end());
    const pair = await startRouter({ engines: [{ url: closing.url, models: ['m'] }, { url: engine.url, models: ['m'] }] }, { engineStatsInterval: 3600 });
    try {
      for (let i = 0; i < 4; i++) expect((await postJson(`${pair.url}/v1/chat/completions`, CHAT)).status).toBe(200);
      expect(closing.requests).toBeGreaterThan(0);
    } finally {
      await pair.close();
      await closing.close();
    }
  });

  it('an engine that answers bytes that are not HTTP: 502, then the next request works', async () => {
    engine.setBehaviour((socket) => void socket.end('SSH-2.0-OpenSSH_9.6\r\n\u0000\u00ff garbage \r\n\r\n'));
    const r = await postJson(`${router.url}/v1/chat/completions`, CHAT);
    expect(r.status).toBe(502);
    expect(r.json).toEqual(openAIError('upstream_error'));
    await nextRequestWorks();
  });

  it('an engine that answers a malformed HTTP head (bad status line, bad Content-Length): 502', async () => {
    for (const answer of ['HTTP/1.1 abc OK\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: -5\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello']) {
      engine.setBehaviour((socket) => void socket.end(answer));
      const r = await postJson(`${router.url}/v1/chat/completions`, CHAT);
      expect(r.status).toBe(502);
      expect(r.json).toEqual(openAIError('upstream_error'));
    }
    await nextRequestWorks();
  });

  it('an answer that trickles in a few bytes at a time reaches the client whole', async () => {
    engine.setBehaviour(async (socket) => {
      const bytes = Buffer.from(jsonAnswer(200, COMPLETION));
      for (let i = 0; i < bytes.length; i += 16) {
        socket.write(bytes.subarray(i, i + 16));
        await sleep(5);
      }
    });
    const r = await client.chat.completions.create(CHAT);
    expect(r.choices[0]?.message.content).toBe('ok');
    expect(r.usage?.total_tokens).toBe(2);
  });

  it('a stream that stalls after its first event: the client stream ends with an error after the gap timeout, the slot is freed', async () => {
    engine.setBehaviour((socket) => void socket.write(SSE_HEAD + sseChunk(delta('a'))));
    const stream = await client.chat.completions.create({ ...CHAT, stream: true });
    const seen: string[] = [];
    const started = Date.now();
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow();
    expect(seen).toEqual(['a']);
    expect(Date.now() - started).toBeLessThan(5000);
    await nextRequestWorks();
  });

  // Today's behaviour, before request migration: a mid-stream death is not continued elsewhere.
  it('without migration: an engine dying mid-stream ends the client stream with an error, and the next request works', async () => {
    engine.setBehaviour(async (socket) => {
      socket.write(SSE_HEAD + sseChunk(delta('a')) + sseChunk(delta('b')));
      await sleep(20);
      socket.destroy();
    });
    const stream = await client.chat.completions.create({ ...CHAT, stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow();
    expect(seen).toEqual(['a', 'b']);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(/vllm:request_errors_total\{server="[^"]+",model="m",error_type="interrupted"\} [1-9]/);
    await nextRequestWorks();
  });
});

describe('drain with many streams in flight', () => {
  let sim: EngineSim;

  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'drain', host: '127.0.0.7', models: ['m'], tokenDelayMs: 40, outputTokens: 25 });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('SIGTERM with 40 streams in flight: every stream finishes with [DONE], new requests are refused, exit 0', async () => {
    const router = await spawnRouter(['--service-discovery', 'static', '--static-backends', sim.url, '--static-models', 'm', '--routing-logic', 'roundrobin', '--drain-timeout-seconds', '20']);
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 30_000 });
      let firstChunks = 0;
      const streams = Array.from({ length: 40 }, async () => {
        const stream = await client.chat.completions.create({ ...CHAT, stream: true, max_tokens: 25 });
        let text = '';
        let first = true;
        for await (const chunk of stream) {
          if (first) firstChunks++;
          first = false;
          text += chunk.choices[0]?.delta.content ?? '';
        }
        return text.split(' ').filter(Boolean).length;
      });
      await eventually(() => firstChunks === 40, 10_000);
      router.child.kill('SIGTERM');
      const words = await Promise.all(streams);
      expect(words).toEqual(Array.from({ length: 40 }, () => 25));
      await expect(fetch(`${router.url}/health`)).rejects.toThrow();
      expect(await router.exited).toBe(0);
      expect(router.output()).toContain('drained; exiting');
    } finally {
      await router.stop('SIGKILL');
    }
  });
});
