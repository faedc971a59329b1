import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { parseRequestLine, readLines, validateInput } from './validate.js';

const EP = '/v1/chat/completions';
const line = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: 'r1', method: 'POST', url: EP, body: { model: 'm', messages: [] }, ...over });

async function validate(text: string, options = {}) {
  return validateInput(readLines(Readable.from([text])), EP, options);
}

describe('batch input validation', () => {
  it('accepts a well-formed file and counts its requests, skipping blank lines', async () => {
    expect(await validate(`${line()}\n\n${line({ custom_id: 'r2' })}\n`)).toEqual({ ok: true, total: 2 });
  });

  it('reports each problem with its OpenAI-style code, 1-based line and param', async () => {
    const text = [line(), 'nope', '"a string"', line({ custom_id: 'r3', method: 'GET' }), line({ custom_id: 'r4', url: '/v1/embeddings' }), line()].join('\n');
    const result = await validate(text);
    expect(result).toEqual({
      ok: false,
      errors: [
        { code: 'invalid_json_line', line: 2, param: null, message: expect.any(String) },
        { code: 'invalid_json_line', line: 3, param: null, message: expect.any(String) },
        { code: 'invalid_method', line: 4, param: 'method', message: expect.any(String) },
        { code: 'mismatched_endpoint', line: 5, param: 'url', message: expect.any(String) },
        { code: 'duplicate_custom_id', line: 6, param: 'custom_id', message: expect.stringContaining('"r1"') },
      ],
    });
  });

  it('an empty file fails as a whole', async () => {
    expect(await validate('  \n\n')).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'empty_file', line: null })] });
  });

  it('caps the number of requests and of errors', async () => {
    const many = Array.from({ length: 5 }, (_, i) => line({ custom_id: `r${i}` })).join('\n');
    expect(await validate(many, { maxRequests: 3 })).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'too_many_tasks', line: 4 })] });
    const bad = Array.from({ length: 10 }, () => '{').join('\n');
    const result = await validate(bad, { maxErrors: 3 });
    expect(!result.ok && result.errors).toHaveLength(3);
  });

  it('names the missing required field', () => {
    const missing = (obj: Record<string, unknown>) => {
      const r = parseRequestLine({ line: 1, text: JSON.stringify(obj) }, EP);
      return 'error' in r ? [r.error.code, r.error.param] : undefined;
    };
    expect(missing({ method: 'POST', url: EP, body: { model: 'm' } })).toEqual(['missing_required_parameter', 'custom_id']);
    expect(missing({ custom_id: 'a', url: EP, body: { model: 'm' } })).toEqual(['missing_required_parameter', 'method']);
    expect(missing({ custom_id: 'a', method: 'POST', body: { model: 'm' } })).toEqual(['missing_required_parameter', 'url']);
    expect(missing({ custom_id: 'a', method: 'POST', url: EP })).toEqual(['missing_required_parameter', 'body']);
    expect(missing({ custom_id: 'a', method: 'POST', url: EP, body: {} })).toEqual(['missing_required_parameter', 'body.model']);
  });
});
