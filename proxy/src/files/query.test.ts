import { describe, expect, it } from '@jest/globals';
import { listBody, parseAfter, parseLimit, parseOrder, pathSegments } from './query.js';
import { isFileId } from './storage.js';

const q = (s: string) => new URLSearchParams(s);

describe('list query parameters', () => {
  it('limit defaults when absent and must be an integer within bounds', () => {
    expect(parseLimit(q(''), 20, 100)).toBe(20);
    expect(parseLimit(q('limit=7'), 20, 100)).toBe(7);
    for (const bad of ['limit=0', 'limit=101', 'limit=2.5', 'limit=x']) {
      expect(() => parseLimit(q(bad), 20, 100)).toThrow(expect.objectContaining({ status: 400, param: 'limit' }));
    }
  });

  it('order is desc unless asc is asked for', () => {
    expect(parseOrder(q(''))).toBe('desc');
    expect(parseOrder(q('order=asc'))).toBe('asc');
    expect(() => parseOrder(q('order=up'))).toThrow(expect.objectContaining({ status: 400, param: 'order' }));
  });

  it('after must look like an id', () => {
    expect(parseAfter(q(''), isFileId)).toBeUndefined();
    expect(() => parseAfter(q('after=../x'), isFileId)).toThrow(expect.objectContaining({ status: 400, param: 'after' }));
  });

  it('builds the OpenAI list envelope', () => {
    expect(listBody([{ id: 'a' }, { id: 'b' }], true)).toEqual({ object: 'list', data: [{ id: 'a' }, { id: 'b' }], first_id: 'a', last_id: 'b', has_more: true });
    expect(listBody([], false)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('splits sub-paths, decoding escapes but never inventing segments', () => {
    expect(pathSegments('/v1/files/file-1/content', '/v1/files/')).toEqual(['file-1', 'content']);
    expect(pathSegments('/v1/files/..%2Fetc', '/v1/files/')).toEqual(['../etc']);
    expect(pathSegments('/v1/files/%E0%A4%A', '/v1/files/')).toEqual(['%E0%A4%A']);
  });
});
