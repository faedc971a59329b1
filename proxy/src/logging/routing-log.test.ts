import { describe, expect, it } from '@jest/globals';
import { formatRoutingDecision } from './routing-log.js';

const engine = { id: 'e', url: 'http://10.0.0.1:8000', models: ['m'], backendKind: 'vllm' as const, labels: {}, ready: true };

describe('the routing line', () => {
  it("reads as the reference's, which its e2e tests and users' log queries parse", () => {
    const { line, sessionId } = formatRoutingDecision(
      { requestId: 'req-1', engine, request: { model: 'm', path: '/v1/completions', headers: { 'x-user-id': 'alice' }, body: undefined }, sessionKey: 'x-user-id', receivedAt: 1000 },
      1012.5,
    );
    expect(sessionId).toBe('alice');
    expect(line).toMatch(/^Routing request req-1 with session id alice to http:\/\/10\.0\.0\.1:8000 at \d{10}\.\d{6}, process time = 0\.0125$/);
    expect(/Routing request ([^ ]*) with session id [^ ]* to ([^ ]*) at /.exec(line)?.slice(1)).toEqual(['req-1', 'http://10.0.0.1:8000']);
  });

  it('says None when there is no session id, as Python prints it', () => {
    const { line } = formatRoutingDecision({ requestId: 'r', engine, request: { model: 'm', path: '/', headers: {}, body: {} }, sessionKey: undefined, receivedAt: undefined });
    expect(line).toContain('with session id None to');
  });
});
