import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { connect } from 'node:net';
import { rawExchange } from '../helpers/raw-http.js';
import { checkRawAnswer, expectAlive, expectMetricsValid, expectWritesContained, fuzzParams, fuzzTimeout, MODELS, startFuzzTarget, type FuzzTarget } from './harness.js';

/**
 * Raw-socket fuzzing of HTTP/1.x framing: request lines (methods, origin-, absolute-, authority- and
 * asterisk-form targets, versions), header blocks, Content-Length right, wrong and garbled, chunked
 * bodies good and broken, both at once, pipelined requests with garbage between them, HTTP/1.0, and
 * connections cut at a random byte. The client half-closes after writing, so the router must answer
 * what it can and close; every byte it sends back must be whole, well-formed HTTP.
 */

const CRLF = '\r\n';

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'PRI', 'get', 'G ET', '', 'POST\u0000', 'M-SEARCH', 'PROPFIND') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z!#$%&'*+.^_`|~-]{1,12}$/) },
);

const host = fc.constantFrom('example.com', 'router.local:8080', '127.0.0.1', '[bad', 'a:99999', '%zz', '[::1]:x', ':', '', 'user:pass@h', '[::1]', 'xn--nxasmq6b', 'h\u00e9');

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/models', '/health', '/metrics', '/v1/files', '/v1/batches', '/engines', '/') },
  { weight: 1, arbitrary: fc.constantFrom('/v1/files/file-0123456789abcdef0123456789ab/content', '/v1/files/../../etc/passwd', '//[bad', '/%zz', '/v1/chat/completions?id=constructor', '/?__proto__[x]=1', '/\u00ff', '/a b') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `/${'a'.repeat(n)}`) },
);

const target = fc.oneof(
  { weight: 6, arbitrary: path },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('http://', 'https://', 'HTTP://', 'ftp://', 'http:/', 'http:'), host, path).map(([s, h, p]) => s + h + p) },
  { weight: 1, arbitrary: fc.constantFrom('example.com:443', '127.0.0.1:80', '[::1]:x', '*', 'localhost') },
);

const version = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('HTTP/1.1', 'HTTP/1.0') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'http/1.1', 'HTTP/1', 'HTTP/1.1 x', '') });

const chatBody = fc.oneof(
  fc.constant(`{"model":"${MODELS[0]}","messages":[{"role":"user","content":"hi"}],"max_tokens":2}`),
  fc.constant(`{"model":"${MODELS[1]}","prompt":"hi","max_tokens":2,"stream":true}`),
  fc.constant('{"model":'),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a).toString('latin1')),
);

/** How the body is framed, right or wrong; returns the header lines and the bytes that follow the head. */
const framing = fc.tuple(
  fc.constantFrom('none', 'length', 'short-length', 'long-length', 'bad-length', 'double-length', 'chunked', 'bad-chunked', 'te-and-length', 'odd-te'),
  chatBody,
  fc.constantFrom('abc', '-1', '1e3', ' 5', '5, 6', '99999999999999999999', '0x10', '', '+4'),
  fc.constantFrom('zz', 'ffffffffffffffff', '-1', '5;ext=1', '3\r\nabc', '', ' 4'),
  fc.constantFrom('gzip, chunked', 'chunked, gzip', 'identity', 'chunked', 'Chunked', 'chunked\u0000', 'x'),
).map(([kind, body, badLength, badChunk, te]): { headers: string[]; body: string } => {
  const len = Buffer.byteLength(body, 'latin1');
  const chunked = (size: string) => `${size}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`;
  switch (kind) {
    case 'none':
      return { headers: [], body: '' };
    case 'length':
      return { headers: [`Content-Length: ${len}`], body };
    case 'short-length':
      return { headers: [`Content-Length: ${Math.max(0, len - 3)}`], body };
    case 'long-length':
      return { headers: [`Content-Length: ${len + 10}`], body };
    case 'bad-length':
      return { headers: [`Content-Length: ${badLength}`], body };
    case 'double-length':
      return { headers: [`Content-Length: ${len}`, `Content-Length: ${len + 1}`], body };
    case 'chunked':
      return { headers: ['Transfer-Encoding: chunked'], body: chunked(len.toString(16)) };
    case 'bad-chunked':
      return { headers: ['Transfer-Encoding: chunked'], body: chunked(badChunk) };
    case 'te-and-length':
      return { headers: ['Transfer-Encoding: chunked', `Content-Length: ${len}`], body: chunked(len.toString(16)) };
    default:
      return { headers: [`Transfer-Encoding: ${te}`], body: chunked(len.toString(16)) };
  }
});

const extraHeaders = fc.array(
  fc.oneof(
    fc.constantFrom('Content-Type: application/json', 'Expect: 100-continue', 'Connection: keep-alive', 'Connection: close', 'Connection: upgrade', 'Upgrade: websocket', 'Host: x', 'Host: a', 'Authorization: Bearer x', 'X-Request-Id: fuzz', 'Content-Type: multipart/form-data; boundary=B'),
    fc.constantFrom(' Folded: line', 'NoColon', ': empty-name', 'Bad Name: x', 'X-Nul: a\u0000b', 'X-Cr: a\rb', 'X-Long: ' + 'v'.repeat(9000), 'X-Utf8: \u00e9\u4e2d'),
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,16}$/), fc.stringMatching(/^[\x20-\x7e]{0,30}$/)).map(([n, v]) => `${n}: ${v}`),
  ),
  { maxLength: 5 },
);

const oneRequest = fc.tuple(method, target, version, fc.boolean(), extraHeaders, framing).map(([m, t, v, withHost, extra, f]) => {
  const line = [m, t, v].filter((part) => part !== '').join(' ');
  const headers = [...(withHost ? ['Host: router'] : []), ...extra, ...f.headers];
  return `${line}${CRLF}${headers.map((h) => h + CRLF).join('')}${CRLF}${f.body}`;
});

/** One or more requests on one connection, optionally with junk between them and cut at a random byte. */
const connection = fc.tuple(
  fc.array(oneRequest, { minLength: 1, maxLength: 4 }),
  fc.option(fc.constantFrom(CRLF, '\u0000', 'garbage', '\r\n\r\n'), { nil: undefined }),
  fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
).map(([requests, junk, cutAt]) => {
  const text = requests.join(junk ?? '');
  const bytes = Buffer.from(text, 'latin1');
  return { bytes: cutAt === undefined ? bytes : bytes.subarray(0, Math.floor(bytes.length * cutAt)), requests: requests.length };
});

describe('fuzz: HTTP/1.x framing over raw sockets', () => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await startFuzzTarget();
  });

  afterAll(async () => {
    await target?.close();
  });

  it('answers whole, well-formed HTTP (OpenAI errors, no 5xx) to any framing, and closes after a half-close', async () => {
    await fc.assert(
      fc.asyncProperty(connection, async ({ bytes, requests }) => {
        const { bytes: answer, closedByServer } = await rawExchange(target.host, target.port, bytes, { endAfterWrite: true, timeoutMs: 6000 });
        expectAlive(target);
        const what = JSON.stringify(bytes.toString('latin1').slice(0, 600));
        if (!closedByServer) throw new Error(`${what}: the router neither answered nor closed within 6 s`);
        checkRawAnswer(answer, requests, what);
      }),
      fuzzParams(2000, 25_000),
    );
  }, fuzzTimeout(25_000));

  it('survives connections cut right after writing, without reading the answer', async () => {
    await fc.assert(
      fc.asyncProperty(connection, fc.boolean(), async ({ bytes }, reset) => {
        await new Promise<void>((resolve) => {
          const socket = connect({ host: target.host, port: target.port }, () => {
            socket.write(bytes, () => {
              if (reset) socket.resetAndDestroy();
              else socket.destroy();
              resolve();
            });
          });
          socket.on('error', () => resolve());
        });
        expectAlive(target);
      }),
      fuzzParams(200, 5_000),
    );
    // Every cut connection is gone and the router serves as before.
    expect((await fetch(`${target.url}/health`)).status).toBe(200);
  }, fuzzTimeout(5_000));

  it('afterwards: /metrics is valid, nothing written outside storage, nothing logged at ERROR', async () => {
    expectAlive(target);
    await expectMetricsValid(target);
    await expectWritesContained(target);
    expect(target.router.output().split('\n').filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });
});
