import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { getJson } from '../helpers/http.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';

const AUDIO = 'whisper-small';

/** An engine for the endpoints the simulator lacks: audio voices and transcriptions, and a stream sent without Content-Type. */
async function startAudioEngine(host: string): Promise<{ url: string; seen: Array<{ method: string; url: string }>; close(): Promise<void> }> {
  const seen: Array<{ method: string; url: string }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/v1/audio/voices')) return res.writeHead(200, { 'content-type': 'application/json' }).end('{"voices":["alloy","echo"]}');
      if (req.url === '/v1/audio/transcriptions') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"hello"}');
      if (req.url === '/v1/chat/completions') {
        // An SSE stream with no Content-Type header at all.
        res.writeHead(200);
        res.write('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
        return res.end('data: [DONE]\n\n');
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("the reference router's endpoints and lenient behaviours", () => {
  let a: EngineSim;
  let b: EngineSim;
  let audio: Awaited<ReturnType<typeof startAudioEngine>>;
  let router: RouterProcess;
  let client: OpenAI;
  let dir: string;

  beforeAll(async () => {
    a = await startEngineSim({ engineId: 'a', host: '127.0.0.2', models: ['m1'] });
    b = await startEngineSim({ engineId: 'b', host: '127.0.0.3', models: ['m1'] });
    audio = await startAudioEngine('127.0.0.4');
    dir = await mkdtemp(join(tmpdir(), 'compat-endpoints-'));
    router = await spawnRouter([
      '--service-discovery', 'static',
      '--static-backends', `${a.url},${b.url},${audio.url},http://127.0.0.9:9`,
      '--static-models', `m1,m1,${AUDIO},whisper-down`,
      '--routing-logic', 'roundrobin',
      '--enable-batch-api', '--file-storage-path', dir,
    ]);
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([a.close(), b.close(), audio.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const chatEngine = async () => (await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] })).system_fingerprint;

  it('sleep mode: a slept engine leaves routing until it wakes; /is_sleeping asks the engine', async () => {
    const id = encodeURIComponent(a.url);
    const slept = await fetch(`${router.url}/sleep?id=${id}&level=1`, { method: 'POST' });
    expect(slept.status).toBe(200);
    expect(await slept.json()).toEqual({ status: 'success' });
    expect(a.stats.lastRequests.some((r) => r.path === '/sleep')).toBe(true);
    expect(await getJson(`${router.url}/is_sleeping?id=${id}`)).toMatchObject({ status: 200, json: { is_sleeping: true } });
    const engines = (await getJson(`${router.url}/engines`)).json as Array<{ engine_id: string; sleeping: boolean }>;
    expect(engines.find((e) => e.engine_id === a.url)?.sleeping).toBe(true);
    for (let i = 0; i < 4; i++) expect(await chatEngine()).toBe('b');

    expect((await fetch(`${router.url}/wake_up?id=${id}`, { method: 'POST' })).status).toBe(200);
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 4; i++) seen.add(await chatEngine());
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it('sleep mode needs a known engine id (400), as the reference', async () => {
    expect((await fetch(`${router.url}/sleep`, { method: 'POST' })).status).toBe(400);
    const unknown = await fetch(`${router.url}/wake_up?id=nope`, { method: 'POST' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { param: 'id', code: 'engine_not_found' } });
  });

  it('GET /v1/audio/voices is routed by model to an engine that serves it', async () => {
    const res = await fetch(`${router.url}/v1/audio/voices?model=${AUDIO}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ voices: ['alloy', 'echo'] });
    expect(audio.seen.some((s) => s.method === 'GET' && s.url === `/v1/audio/voices?model=${AUDIO}`)).toBe(true);
    expect((await fetch(`${router.url}/v1/audio/voices`)).status).toBe(400);
  });

  it('relays a stream the engine sent without Content-Type as text/event-stream', async () => {
    const res = await fetch(`${router.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: AUDIO, stream: true, messages: [] }) });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).toContain('data: [DONE]');
  });

  it('transcriptions: a non-numeric temperature is a 400; an unreachable engine is a 503', async () => {
    const form = (model: string, temperature?: string) => {
      const f = new FormData();
      f.append('file', new Blob([Buffer.from('RIFF')]), 'a.wav');
      f.append('model', model);
      if (temperature !== undefined) f.append('temperature', temperature);
      return f;
    };
    const transcribe = (body: FormData) => fetch(`${router.url}/v1/audio/transcriptions`, { method: 'POST', body });
    const hot = await transcribe(form(AUDIO, 'hot'));
    expect(hot.status).toBe(400);
    expect(await hot.json()).toMatchObject({ error: { param: 'temperature' } });
    expect((await transcribe(form(AUDIO, '0.2'))).status).toBe(200);
    const down = await transcribe(form('whisper-down'));
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { type: 'service_unavailable_error' } });
  });

  it("files and batches as the reference's examples use them: purpose unknown, completion_window 1h or none, DELETE cancels", async () => {
    const form = new FormData();
    form.append('file', new Blob(['{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"m1","messages":[{"role":"user","content":"hi"}]}}\n']), 'batch.jsonl');
    form.append('purpose', 'unknown');
    const file = (await (await fetch(`${router.url}/v1/files`, { method: 'POST', body: form })).json()) as { id: string; purpose: string };
    expect(file.purpose).toBe('unknown');

    const hour = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '1h' as '24h' });
    expect(hour.completion_window).toBe('1h');
    const noWindow = (await (await fetch(`${router.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions' }) })).json()) as { id: string; completion_window: string };
    expect(noWindow.completion_window).toBe('24h');

    const cancelled = await fetch(`${router.url}/v1/batches/${noWindow.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toMatch(/^(cancelling|cancelled|completed)$/);
    // OpenAI's own route stays.
    expect((await client.batches.cancel(hour.id)).status).toMatch(/^(cancelling|cancelled|completed)$/);
    const uploaded = await client.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'assistants' });
    expect(uploaded.purpose).toBe('assistants');
  });
});
