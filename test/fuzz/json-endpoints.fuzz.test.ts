import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { MODEL_ENDPOINTS } from '@vllm-router/proxy';
import type { ParsedResponse } from '../helpers/raw-http.js';
import { bodyText, idSegment, queryString, requestHeaders } from './arbitraries.js';
import {
  checkAnswer,
  expectAlive,
  expectHeapNearBaseline,
  expectMetricsValid,
  expectWritesContained,
  fuzzParams,
  fuzzTimeout,
  heapUsed,
  startFuzzTarget,
  type FuzzTarget,
} from './harness.js';

/**
 * Structured fuzzing of every routed endpoint: hostile JSON bodies (and non-JSON ones), header sets
 * and query strings, through a real HTTP client to the real router program. After every request:
 * the process is alive, the answer carries x-request-id, every 4xx/5xx is an OpenAI error, and
 * nothing is a 5xx (the engine behind is healthy, so every fault is the client's).
 */
/** The last requests sent (keep-alive sockets are shared, so a failure may be caused by the one before). */
const RECENT: string[] = [];

describe('fuzz: JSON bodies, headers and queries on every routed endpoint', () => {
  let target: FuzzTarget;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let baseline = 0;

  beforeAll(async () => {
    target = await startFuzzTarget();
    // Warm up before the baseline: JIT, pools and lazily built tables are not leaks.
    for (let i = 0; i < 50; i++) await send('POST', '/v1/chat/completions', { 'content-type': 'application/json' }, `{"model":"fuzz-a","messages":[{"role":"user","content":"${i}"}]}`);
    baseline = await heapUsed(target);
  });

  afterAll(async () => {
    agent.destroy();
    await target?.close();
  });

  function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<ParsedResponse & { requestId: string | undefined }> {
    return new Promise((resolve, reject) => {
      // An explicit length: node's client sends a DELETE or OPTIONS body unframed otherwise.
      const framing = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
      const req = request({ host: target.host, port: target.port, method, path, headers: { ...headers, ...framing }, agent, timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Map(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks), requestId: res.headers['x-request-id'] as string | undefined });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in 15 s to ${method} ${path}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async function check(method: string, path: string, headers: Record<string, string>, body?: string): Promise<void> {
    const what = `${method} ${path} ${JSON.stringify(headers)} ${body === undefined ? '' : JSON.stringify(body.slice(0, 300))}`;
    RECENT.push(what.slice(0, 300));
    if (RECENT.length > 4) RECENT.shift();
    const response = await send(method, path, headers, body);
    expectAlive(target);
    if (!response.requestId) throw new Error(`${RECENT.join('\n')}\n${what}: no x-request-id on the ${response.status} answer ${response.body.toString().slice(0, 200)}`);
    checkAnswer(response, what);
  }

  it.each(MODEL_ENDPOINTS.filter((e) => e.body === 'json').map((e) => e.path))('POST %s', async (path) => {
    await fc.assert(
      fc.asyncProperty(bodyText, requestHeaders, queryString, async (body, headers, query) => check('POST', path + query, headers, body)),
      fuzzParams(200, 2_500),
    );
  }, fuzzTimeout(2_500));

  it('POST /v1/batches', async () => {
    const batchBody = fc.oneof(
      bodyText,
      fc
        .record({
          input_file_id: fc.oneof(idSegment, fc.jsonValue({ maxDepth: 1 })),
          endpoint: fc.oneof(fc.constantFrom('/v1/chat/completions', '/v1/embeddings', '/v1/completions', 'constructor'), fc.string()),
          completion_window: fc.oneof(fc.constantFrom('24h', 'constructor', '__proto__', 'toString', ''), fc.string()),
          metadata: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor'), fc.string()), fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 20 }), fc.jsonValue({ maxDepth: 2 })),
        }, { requiredKeys: [] })
        .map((b) => JSON.stringify(b)),
    );
    await fc.assert(fc.asyncProperty(batchBody, requestHeaders, async (body, headers) => check('POST', '/v1/batches', headers, body)), fuzzParams(150, 4_000));
  }, fuzzTimeout(4_000));

  it('GET, DELETE and POST on the id routes of files and batches, with hostile ids and queries', async () => {
    const call = fc.tuple(
      fc.constantFrom(['GET', '/v1/files/'], ['GET', '/v1/files/:id/content'], ['DELETE', '/v1/files/'], ['GET', '/v1/batches/'], ['POST', '/v1/batches/:id/cancel'], ['GET', '/v1/files'], ['GET', '/v1/batches']),
      idSegment,
      queryString,
      requestHeaders,
    );
    await fc.assert(
      fc.asyncProperty(call, async ([[method, template], id, query, headers]) => {
        const path = template.includes(':id') ? template.replace(':id', id) : template.endsWith('/') ? template + id : template;
        await check(method, path + query, headers, method === 'POST' ? '{}' : undefined);
      }),
      fuzzParams(250, 5_000),
    );
  }, fuzzTimeout(5_000));

  it('GET on the info routes and unknown paths, any method', async () => {
    const call = fc.tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      fc.oneof(fc.constantFrom('/v1/models', '/engines', '/stats', '/health', '/version', '/metrics', '/v1', '/', '/v1/chat/completions', '/v1/files'), idSegment.map((s) => `/${s}`)),
      queryString,
      requestHeaders,
    );
    await fc.assert(
      fc.asyncProperty(call, async ([method, path, query, headers]) => {
        // HEAD answers carry no body by definition; the status alone is checked.
        if (method === 'HEAD') {
          const r = await send(method, path + query, headers);
          expectAlive(target);
          expect(r.status).toBeLessThan(500);
          return;
        }
        await check(method, path + query, headers, method === 'GET' || method === 'OPTIONS' ? undefined : '{}');
      }),
      fuzzParams(200, 4_000),
    );
  }, fuzzTimeout(4_000));

  it('afterwards: /metrics is valid, nothing was written outside storage, nothing logged at ERROR, memory is back near its baseline', async () => {
    expectAlive(target);
    await expectMetricsValid(target);
    await expectWritesContained(target);
    expect(target.router.output().split('\n').filter((line) => line.includes('"level":"error"'))).toEqual([]);
    await expectHeapNearBaseline(target, baseline);
  });
});
