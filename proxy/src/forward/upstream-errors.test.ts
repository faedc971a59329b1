import { describe, expect, it } from '@jest/globals';
import { classifyUpstreamError } from './upstream-errors.js';

const err = (code: string) => Object.assign(new Error(code), { code });

describe('classifying failures before the first byte', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EHOSTUNREACH'])('%s may be retried on another engine', (code) => {
    expect(classifyUpstreamError(err(code), false)).toEqual({ kind: 'connect', code, timeout: false });
  });

  it('treats a connect timeout as retryable, remembered as a timeout (504 if nothing else answers)', () => {
    expect(classifyUpstreamError(err('UND_ERR_CONNECT_TIMEOUT'), false)).toEqual({ kind: 'connect', code: 'UND_ERR_CONNECT_TIMEOUT', timeout: true });
  });

  it('never retries a first-byte timeout: the engine may be working on it', () => {
    expect(classifyUpstreamError(err('UND_ERR_HEADERS_TIMEOUT'), false).kind).toBe('first-byte-timeout');
  });

  it('recognises the client going away, whatever the error says', () => {
    expect(classifyUpstreamError(err('ECONNRESET'), true).kind).toBe('aborted');
    expect(classifyUpstreamError(Object.assign(new Error('x'), { name: 'AbortError' }), false).kind).toBe('aborted');
  });

  it('looks through error causes for the code', () => {
    expect(classifyUpstreamError(new Error('fetch failed', { cause: err('ECONNREFUSED') }), false).kind).toBe('connect');
    expect(classifyUpstreamError('weird', false)).toEqual({ kind: 'other', code: 'UNKNOWN' });
  });
});
