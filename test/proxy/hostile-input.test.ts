import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { jsonAnswer, startFakeEngine, type FakeEngine } from '../helpers/fake-engine.js';
import { eventually, openAIError, postJson } from '../helpers/http.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { isOpenAIErrorBody, parseResponses, rawExchange } from '../helpers/raw-http.js';
import { parsePrometheus } from '../sim/prom-parse.js';

/**
 * One regression test per defect found by fuzzing the router (issue 11, and test/fuzz since), each
 * with the exact input that broke it, against the real `vllm-router` program: a crash shows as the
 * process exiting.
 */
describe('hostile input: the defects found by fuzzing stay fixed', () => {
  let sim: EngineSim;
  let usageEngine: FakeEngine;
  let router: RouterProcess;
  let storage: string;
  let host: string;
  let port: number;

  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), 'vllm-router-hostile-'));
    sim = await startEngineSim({ engineId: 'sim', host: '127.0.0.2', models: ['m'] });
    // An engine whose usage counts are 400 digits long.
    usageEngine = await startFakeEngine('127.0.0.3', (socket) => {
      const digits = '9'.repeat(400);
      socket.write(jsonAnswer(200, `{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":${digits},"completion_tokens":${digits},"total_tokens":1}}`));
    });
    router = await spawnRouter([
      '--service-discovery', 'static',
      '--static-backends', `${sim.url},${usageEngine.url}`,
      '--static-models', 'm,absurd-usage',
      '--static-aliases', 'gpt:m',
      '--routing-logic', 'prefixaware',
      '--enable-batch-api',
      '--file-storage-path', storage,
      '--log-format', 'json',
    ]);
    const url = new URL(router.url);
    host = url.hostname;
    port = Number(url.port);
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([sim?.close(), usageEngine?.close()]);
    await rm(storage, { recursive: true, force: true });
  });

  const stillServing = async () => {
    expect(router.child.exitCode).toBeNull();
    expect((await fetch(`${router.url}/health`)).status).toBe(200);
  };

  describe('1. absolute-form request targets that do not parse', () => {
    const targets = ['GET http://[bad', 'GET http://a:99999/x', 'GET http://%zz/v1/models', 'GET http://[::1]:x/health', 'POST https://:/'];
    it.each(targets)('%s answers 400 in the OpenAI shape and the process stays up', async (line) => {
      const { bytes } = await rawExchange(host, port, `${line} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      const { responses } = parseResponses(bytes);
      expect(responses[0]?.status).toBe(400);
      expect(isOpenAIErrorBody(responses[0]!.body)).toBe(true);
      await stillServing();
    });

    it('a parseable absolute-form target is routed by its path', async () => {
      const { bytes } = await rawExchange(host, port, `GET http://example.com/v1/models HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`);
      const [response] = parseResponses(bytes).responses;
      expect(response?.status).toBe(200);
      expect(JSON.parse(response!.body.toString())).toMatchObject({ object: 'list' });
    });

    it('an origin-form target starting with // is a path, not a host', async () => {
      const { bytes } = await rawExchange(host, port, `GET //[bad/v1/files?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const [response] = parseResponses(bytes).responses;
      expect(response?.status).toBe(404);
      expect(isOpenAIErrorBody(response!.body)).toBe(true);
    });
  });

  describe('2. a multipart upload that breaks off inside the file part', () => {
    const upload = (body: string) =>
      `POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=BND\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const filePart = '--BND\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\nContent-Type: application/octet-stream\r\n\r\n{"x":1}\n';

    const visibleFiles = async () => (await readdir(join(storage, 'files')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));

    it('no closing boundary after the file part began: 400 invalid_multipart, nothing stored', async () => {
      const body = `--BND\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n${filePart}\r\n`;
      const before = await visibleFiles();
      const { bytes } = await rawExchange(host, port, upload(body));
      const [response] = parseResponses(bytes).responses;
      expect(response?.status).toBe(400);
      expect(JSON.parse(response!.body.toString())).toEqual(openAIError('invalid_multipart'));
      await stillServing();
      expect(await visibleFiles()).toEqual(before);
      expect((await readdir(join(storage, 'files')).catch(() => [] as string[])).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    });

    it('a malformed part header after the file part started: 400 invalid_multipart', async () => {
      const body = `${filePart}\r\n--BND\r\nthis is not a header\r\n\r\nx\r\n--BND--\r\n`;
      const { bytes } = await rawExchange(host, port, upload(body));
      const [response] = parseResponses(bytes).responses;
      expect(response?.status).toBe(400);
      expect(isOpenAIErrorBody(response!.body)).toBe(true);
      await stillServing();
    });
  });

  describe('3. model names that are Object.prototype members', () => {
    const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__'];
    it.each(names)('"%s" is an unknown model: 404, and no metric series is labelled with it', async (model) => {
      const r = await postJson(`${router.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }] });
      expect(r.status).toBe(404);
      expect(r.json).toEqual(openAIError('model_not_found'));
      const metrics = await (await fetch(`${router.url}/metrics`)).text();
      expect(metrics).not.toContain('native code');
      expect(metrics).not.toContain(`model="${model}"`);
    });

    it('a batch completion_window named "constructor" is refused with 400', async () => {
      const r = await postJson(`${router.url}/v1/batches`, { input_file_id: 'file-0', endpoint: '/v1/chat/completions', completion_window: 'constructor' });
      expect(r.status).toBe(400);
      expect(r.json).toEqual(openAIError('invalid_completion_window'));
    });
  });

  describe('4. JSON nested thousands of levels deep', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

    it('5,000 levels of messages (about 10 KB): 400 json_too_deep', async () => {
      const r = await postJson(`${router.url}/v1/chat/completions`, `{"model":"m","messages":${deep(5000)}}`);
      expect(r.status).toBe(400);
      expect(r.json).toEqual(openAIError('json_too_deep'));
    });

    it('deep content through an alias (the rewrite) and prefix-aware rendering: 400', async () => {
      const content = `{"model":"gpt","messages":[{"role":"user","content":${deep(6000)}}],"tools":${deep(6000)}}`;
      const r = await postJson(`${router.url}/v1/chat/completions`, content);
      expect(r.status).toBe(400);
      expect(r.json).toEqual(openAIError('json_too_deep'));
      await stillServing();
    });

    it('brackets inside strings do not count as nesting', async () => {
      const r = await postJson(`${router.url}/v1/chat/completions`, { model: 'gpt', messages: [{ role: 'user', content: '['.repeat(5000) }], max_tokens: 2 });
      expect(r.status).toBe(200);
    });
  });

  describe('5. file names outside Latin-1', () => {
    const multipart = (disposition: string) => {
      const body = `--BND\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n--BND\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\n\r\nhello\r\n--BND--\r\n`;
      return { body: Buffer.from(body, 'utf8'), headers: { 'content-type': 'multipart/form-data; boundary=BND' } };
    };
    const roundTrip = async (disposition: string) => {
      const { body, headers } = multipart(disposition);
      const created = await fetch(`${router.url}/v1/files`, { method: 'POST', body, headers });
      expect(created.status).toBe(200);
      const file = (await created.json()) as { id: string; filename: string };
      const content = await fetch(`${router.url}/v1/files/${file.id}/content`);
      return { file, content };
    };

    it("filename*=UTF-8''%D1%84... is stored as sent and downloads with an RFC 6266 header", async () => {
      const { file, content } = await roundTrip("filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB.jsonl");
      expect(file.filename).toBe('файл.jsonl');
      expect(content.status).toBe(200);
      expect(content.headers.get('content-disposition')).toBe(`attachment; filename="____.jsonl"; filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB.jsonl`);
      expect(await content.text()).toBe('hello');
    });

    it('a raw UTF-8 filename (an emoji) is stored as UTF-8, not decoded as Latin-1', async () => {
      const { file, content } = await roundTrip('filename="rocket-🚀.txt"');
      expect(file.filename).toBe('rocket-🚀.txt');
      expect(content.status).toBe(200);
      expect(content.headers.get('content-disposition')).toContain("filename*=UTF-8''rocket-%F0%9F%9A%80.txt");
    });

    it('control characters in a filename download with them percent-encoded', async () => {
      const { file, content } = await roundTrip("filename*=UTF-8''a%01b%7F.txt");
      expect(file.filename).toBe('a\u0001b\u007f.txt');
      expect(content.status).toBe(200);
      expect(content.headers.get('content-disposition')).toBe(`attachment; filename="a_b_.txt"; filename*=UTF-8''a%01b%7F.txt`);
    });
  });

  describe('found by the framing fuzzer', () => {
    it('a CONNECT whose client resets while the 405 is written does not end the process', async () => {
      for (let i = 0; i < 50; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect({ host, port }, () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', () => {
            socket.resetAndDestroy();
            resolve();
          }));
          socket.on('error', () => resolve());
        });
      }
      await stillServing();
    });

    it('CONNECT is answered 405 in the OpenAI shape', async () => {
      const { bytes } = await rawExchange(host, port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      const [response] = parseResponses(bytes).responses;
      expect(response?.status).toBe(405);
      expect(isOpenAIErrorBody(response!.body)).toBe(true);
    });

    it('an HTTP/1.1 request without Host gets one answer, a 400 in the OpenAI shape, even with a broken body after it', async () => {
      const { bytes } = await rawExchange(host, port, 'DELETE /engines HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n0\r\n\r\n', { endAfterWrite: true });
      const { responses, problem } = parseResponses(bytes);
      expect(problem).toBeUndefined();
      expect(responses.map((r) => r.status)).toEqual([400]);
      expect(JSON.parse(responses[0]!.body.toString())).toEqual(openAIError('missing_host'));
    });
  });

  describe('client aborts', () => {
    it('an upload abandoned mid-body is counted as a client abort, leaves no file, and logs no ERROR', async () => {
      const head = 'POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 5000\r\n\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"a":1}\n';
      const metric = async () => Number(/^vllm_router_client_faults_total\{kind="client_aborted"\} (\d+)/m.exec(await (await fetch(`${router.url}/metrics`)).text())?.[1] ?? 0);
      const before = await metric();
      await new Promise<void>((resolve) => {
        const s = connect({ host, port }, () => {
          s.write(head);
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 50);
        });
        s.on('error', () => undefined);
      });
      await eventually(async () => (await metric()) === before + 1);
      expect(router.output().split('\n').filter((line) => line.includes('"level":"error"'))).toEqual([]);
      const names = await readdir(join(storage, 'files')).catch(() => [] as string[]);
      expect(names.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    });
  });

  describe('6. absurd usage counts from an engine', () => {
    it('a 400-digit prompt_tokens is ignored and /metrics stays parseable', async () => {
      const r = await postJson(`${router.url}/v1/chat/completions`, { model: 'absurd-usage', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const metrics = await fetch(`${router.url}/metrics`);
        expect(metrics.status).toBe(200);
        const text = await metrics.text();
        const tokens = text.split('\n').filter((l) => l.startsWith('vllm:input_tokens_total') || l.startsWith('vllm:output_tokens_total') || l.startsWith('#'));
        const samples = parsePrometheus(tokens.join('\n')).samples;
        expect(samples.length).toBeGreaterThan(0);
        for (const s of samples) expect(Number.isFinite(s.value)).toBe(true);
      }
      await stillServing();
    });
  });
});
