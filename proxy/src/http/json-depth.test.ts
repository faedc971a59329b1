import { describe, expect, it } from '@jest/globals';
import { JsonTooDeepError, MAX_JSON_DEPTH, nestingExceeds, parseJsonWithDepthLimit } from './json-depth.js';

const nested = (levels: number, open = '[', close = ']') => `${open.repeat(levels)}${close.repeat(levels)}`;

describe('JSON depth limit', () => {
  it('parses JSON nested up to the limit', () => {
    expect(parseJsonWithDepthLimit(nested(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(parseJsonWithDepthLimit(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`)).toEqual({ a: expect.any(Array) });
  });

  it('refuses one level more, and the 5,000 levels that overflowed JSON.stringify', () => {
    expect(() => parseJsonWithDepthLimit(nested(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
    expect(() => parseJsonWithDepthLimit(`{"model":"m","messages":${nested(5000)}}`)).toThrow(JsonTooDeepError);
    expect(() => parseJsonWithDepthLimit(nested(3000, '{"a":', '}'))).toThrow(JsonTooDeepError);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ content: '['.repeat(10_000), other: 'a\\"[[[[', q: '\\\\' });
    expect(nestingExceeds(text, 4)).toBe(false);
    expect(parseJsonWithDepthLimit(text)).toMatchObject({ q: '\\\\' });
  });

  it('counts again after a string that ends in escaped backslashes', () => {
    expect(nestingExceeds(`["a\\\\\\\\",${nested(10)}]`, 8)).toBe(true);
  });

  it('leaves bad syntax to JSON.parse (SyntaxError), unterminated strings included', () => {
    expect(() => parseJsonWithDepthLimit('{"a": "open')).toThrow(SyntaxError);
    expect(() => parseJsonWithDepthLimit('{"model":')).toThrow(SyntaxError);
  });
});
