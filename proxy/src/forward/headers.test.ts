import { describe, expect, it } from '@jest/globals';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

describe('forwarded headers', () => {
  it('drops hop-by-hop headers, those named by Connection, and the host', () => {
    const out = upstreamRequestHeaders(
      { host: 'router', connection: 'keep-alive, x-secret-hop', 'keep-alive': 'timeout=5', 'x-secret-hop': '1', te: 'trailers', 'x-user': 'u1', 'content-length': '99' },
      'req-1',
      42,
      undefined,
    );
    expect(out).toEqual({ 'x-user': 'u1', 'x-request-id': 'req-1', 'content-length': '42' });
  });

  it("forwards the client's Authorization unless a backend key is configured", () => {
    expect(upstreamRequestHeaders({ authorization: 'Bearer client' }, 'r', 0, undefined).authorization).toBe('Bearer client');
    expect(upstreamRequestHeaders({ authorization: 'Bearer client' }, 'r', 0, 'engine-key').authorization).toBe('Bearer engine-key');
  });

  it('returns engine headers minus transfer-encoding, with the request id', () => {
    expect(clientResponseHeaders({ 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked', 'x-engine-id': 'e1' }, 'r9')).toEqual({
      'content-type': 'text/event-stream',
      'x-engine-id': 'e1',
      'x-request-id': 'r9',
    });
  });
});
