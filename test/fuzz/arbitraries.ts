import fc from 'fast-check';
import { ALIAS, MODELS } from './harness.js';

/** Generators of hostile but structured input: JSON bodies, header sets, query strings, names. */

/** Names that once reached Object.prototype through a plain-object lookup. */
export const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__', 'prototype'];

/** Text that stresses parsers: unicode of every plane, lone surrogates, control characters, quotes. */
export const nastyText = (maxLength = 40) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.constantFrom('', ' ', '\u0000', '\r\n', '"', '\\', '\ud800', '🚀', '../../etc/passwd', '%00', '${x}', '<script>', 'null', '[DONE]', 'data: x\n\n'),
  );

export const modelName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string>(...MODELS, ALIAS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: nastyText() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Arrays nested `depth` levels around `inner`: the shape that overflowed JSON.stringify. */
export const deepNesting = fc.tuple(fc.integer({ min: 1, max: 6000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
});

const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'), nastyText(10), fc.jsonValue({ maxDepth: 1 })),
    content: fc.oneof(
      nastyText(200),
      fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'input_audio', 'x'), text: nastyText(50), image_url: fc.oneof(nastyText(30), fc.record({ url: nastyText(30) })) }, { requiredKeys: [] }), { maxLength: 4 }),
      fc.jsonValue({ maxDepth: 3 }),
    ),
    tool_calls: fc.jsonValue({ maxDepth: 3 }),
    name: nastyText(10),
  },
  { requiredKeys: [] },
);

/** A request body as a JSON object: plausible fields with hostile values, plus random extra keys. */
export const jsonObjectBody = fc
  .tuple(
    fc.record(
      {
        model: modelName,
        messages: fc.oneof(fc.array(message, { maxLength: 5 }), fc.jsonValue({ maxDepth: 3 })),
        prompt: fc.oneof(nastyText(200), fc.array(fc.oneof(nastyText(20), fc.integer()), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
        input: fc.oneof(nastyText(100), fc.array(message, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
        stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
        stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), fc.jsonValue({ maxDepth: 1 })),
        max_tokens: fc.oneof(fc.integer({ min: -5, max: 8 }), fc.jsonValue({ maxDepth: 1 })),
        tools: fc.jsonValue({ maxDepth: 4 }),
        documents: fc.array(nastyText(30), { maxLength: 4 }),
        query: nastyText(30),
        text_1: nastyText(30),
        text_2: fc.oneof(nastyText(30), fc.array(nastyText(10), { maxLength: 3 })),
        n: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.jsonValue({ maxDepth: 1 })),
      },
      { requiredKeys: ['model'] },
    ),
    fc.dictionary(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), nastyText(12)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  )
  .map(([known, extra]) => JSON.stringify({ ...extra, ...known }));

/** Any request body text: mostly JSON objects, also other JSON values, deep nesting, broken JSON, binary. */
export const bodyText = fc.oneof(
  { weight: 8, arbitrary: jsonObjectBody },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: deepNesting.map((nested) => `{"model":"${MODELS[0]}","messages":${nested}}`) },
  { weight: 1, arbitrary: jsonObjectBody.chain((text) => fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut))) },
  { weight: 1, arbitrary: nastyText(300) },
);

const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const headerName = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/).filter((n) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade'].includes(n));

/** Request headers a client controls (the transport ones are the framing fuzzer's business). */
export const requestHeaders = fc
  .tuple(
    fc.record(
      {
        'content-type': fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data', 'multipart/form-data; boundary='), headerValue),
        'x-request-id': headerValue,
        authorization: fc.oneof(fc.constant('Bearer x'), headerValue),
        'accept-encoding': fc.oneof(fc.constantFrom('gzip', 'br, zstd', 'identity;q=0'), headerValue),
        'x-session-id': headerValue,
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
  )
  .map(([known, extra]) => ({ ...extra, ...known }));

/** A query string with hostile keys and values (ids, limits, cursors, pinned engines). */
export const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('id', 'limit', 'after', 'order', 'purpose', '__proto__', 'constructor'), nastyText(8)), fc.oneof(fc.constantFrom('1', '0', '-1', '1e309', 'asc', 'desc', 'batch', 'file-0'), nastyText(20))), { maxLength: 4 })
  .map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v.replace(/[\ud800-\udfff]/g, '')])).toString()}` : ''));

/** A path segment: ids of the right shape, traversal attempts, encodings. */
export const idSegment = fc.oneof(
  fc.constantFrom('file-0123456789abcdef0123456789ab', 'batch_0123456789abcdef0123456789ab', '..', '%2e%2e', '..%2f..%2fetc', 'constructor', '__proto__', '', '%', '%zz', 'content'),
  nastyText(20).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
);
