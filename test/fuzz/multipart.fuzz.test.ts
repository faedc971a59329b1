import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rawExchange } from '../helpers/raw-http.js';
import { nastyText, PROTOTYPE_NAMES } from './arbitraries.js';
import { checkRawAnswer, expectAlive, expectMetricsValid, expectWritesContained, fuzzParams, fuzzTimeout, MODELS, startFuzzTarget, type FuzzTarget } from './harness.js';

/**
 * Multipart fuzzing of uploads (/v1/files) and of the multipart model endpoints: boundaries good and
 * odd, parts with hostile names, file names (traversal, NUL, UTF-8, RFC 5987), bad part headers,
 * missing or extra boundaries, bodies cut at any byte. The router must answer each in the OpenAI
 * shape without a 5xx, keep every file it accepted whole, and leave nothing else on disk.
 */

const CRLF = '\r\n';

const boundary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('BND', '----WebKitFormBoundary7MA4YWxkTrZu0gW', 'x') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/) },
);

const filename = fc.oneof(
  fc.constantFrom('a.jsonl', '../../../etc/passwd', '..', '/abs/path.txt', 'C:\\win\\x.txt', 'a\u0000b', 'файл.jsonl', '🚀.bin', '', ' ', 'a"b', 'x'.repeat(300)),
  nastyText(30).map((s) => s.replace(/[\r\n"]/g, '')),
);

const dispositionOf = fc.tuple(fc.oneof(fc.constantFrom('file', 'purpose', 'model', 'files', ''), fc.constantFrom(...PROTOTYPE_NAMES), nastyText(10).map((s) => s.replace(/[\r\n"]/g, ''))), fc.option(filename, { nil: undefined }), fc.option(filename, { nil: undefined }), fc.boolean()).map(
  ([name, plain, star, quoted]) => {
    let d = `Content-Disposition: form-data; name=${quoted ? `"${name}"` : name || '""'}`;
    if (plain !== undefined) d += `; filename="${plain}"`;
    if (star !== undefined) d += `; filename*=UTF-8''${encodeURIComponent(star.replace(/[\ud800-\udfff]/g, ''))}`;
    return d;
  },
);

const partHeaders = fc.tuple(
  dispositionOf,
  fc.array(fc.constantFrom('Content-Type: application/octet-stream', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', 'NoColon', ': x', ' folded', 'X-' + 'h'.repeat(5000), 'Content-Disposition: attachment'), { maxLength: 3 }),
).map(([d, extra]) => [d, ...extra].join(CRLF));

const partBody = fc.oneof(
  fc.constantFrom('batch', 'user_data', 'fine-tune', 'unknown', '', MODELS[0], 'constructor'),
  fc.constant('{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"fuzz-a"}}\n'),
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a).toString('latin1')),
  nastyText(100),
);

/** A whole multipart body: preamble, parts, maybe the closing delimiter, maybe an epilogue; maybe cut. */
const multipartBody = fc
  .tuple(
    boundary,
    fc.array(fc.tuple(partHeaders, partBody), { minLength: 0, maxLength: 5 }),
    fc.constantFrom('close', 'none', 'no-dashes', 'wrong-boundary'),
    fc.option(fc.constantFrom('preamble\r\n', '\r\n'), { nil: undefined }),
    fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    fc.constantFrom('quoted', 'plain', 'missing', 'other-type', 'extra-params'),
  )
  .map(([b, parts, ending, preamble, cutAt, typeForm]) => {
    let text = preamble ?? '';
    for (const [headers, body] of parts) text += `--${b}${CRLF}${headers}${CRLF}${CRLF}${body}${CRLF}`;
    if (ending === 'close') text += `--${b}--${CRLF}`;
    else if (ending === 'no-dashes') text += `--${b}${CRLF}`;
    else if (ending === 'wrong-boundary') text += `--not-${b}--${CRLF}`;
    let bytes = Buffer.from(text, 'latin1');
    if (cutAt !== undefined) bytes = bytes.subarray(0, Math.floor(bytes.length * cutAt));
    const contentType = {
      quoted: `multipart/form-data; boundary="${b}"`,
      plain: `multipart/form-data; boundary=${b}`,
      missing: 'multipart/form-data',
      'other-type': `multipart/mixed; boundary=${b}`,
      'extra-params': `multipart/form-data; charset=utf-8; boundary=${b}; boundary=other`,
    }[typeForm];
    return { bytes, contentType };
  });

describe('fuzz: multipart uploads', () => {
  let target: FuzzTarget;
  const accepted = new Set<string>();

  beforeAll(async () => {
    target = await startFuzzTarget();
  });

  afterAll(async () => {
    await target?.close();
  });

  const post = async (path: string, body: Buffer, contentType: string) => {
    const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { bytes, closedByServer } = await rawExchange(target.host, target.port, Buffer.concat([Buffer.from(head, 'latin1'), body]), { timeoutMs: 8000 });
    expectAlive(target);
    const what = `${path} ${contentType} ${JSON.stringify(body.toString('latin1').slice(0, 500))}`;
    if (!closedByServer) throw new Error(`${what}: no answer within 8 s`);
    const [response] = checkRawAnswer(bytes, 1, what);
    if (!response) throw new Error(`${what}: closed without an answer`);
    return response;
  };

  it('POST /v1/files: every answer is an OpenAI-shaped 200 or 4xx; what is accepted is a whole file object', async () => {
    await fc.assert(
      fc.asyncProperty(multipartBody, async ({ bytes, contentType }) => {
        const response = await post('/v1/files', bytes, contentType);
        if (response.status === 200) {
          const file = JSON.parse(response.body.toString()) as { id: string; object: string; bytes: number; filename: string };
          expect(file).toMatchObject({ object: 'file', id: expect.stringMatching(/^file-[0-9a-f]{28}$/) });
          accepted.add(file.id);
        }
      }),
      fuzzParams(1500, 20_000),
    );
  }, fuzzTimeout(20_000));

  it('multipart model endpoints (transcriptions, translations, image edits)', async () => {
    const path = fc.constantFrom('/v1/audio/transcriptions', '/v1/audio/translations', '/v1/images/edits');
    await fc.assert(
      fc.asyncProperty(path, multipartBody, async (p, { bytes, contentType }) => void (await post(p, bytes, contentType))),
      fuzzParams(500, 6_000),
    );
  }, fuzzTimeout(6_000));

  it('afterwards: exactly the accepted files are listed and on disk (bytes and metadata, no temp files), nothing elsewhere', async () => {
    expectAlive(target);
    const list = (await (await fetch(`${target.url}/v1/files?limit=10000`)).json()) as { data: Array<{ id: string }> };
    expect(new Set(list.data.map((f) => f.id))).toEqual(accepted);
    const names = (await readdir(join(target.storage, 'files')).catch(() => [] as string[])).sort();
    expect(names).toEqual([...accepted].flatMap((id) => [`${id}.bin`, `${id}.json`]).sort());
    await expectWritesContained(target);
    await expectMetricsValid(target);
    expect(target.router.output().split('\n').filter((line) => line.includes('"level":"error"'))).toEqual([]);
  });
});
