import { describe, expect, it } from '@jest/globals';
import { errors, ProxyError, toProxyError } from './errors.js';

describe('OpenAI error mapping', () => {
  it.each([
    [errors.badJson('Unexpected token'), 400, 'invalid_request_error', 'invalid_json'],
    [errors.missingModel(), 400, 'invalid_request_error', 'model_required'],
    [errors.unauthorized(), 401, 'authentication_error', 'invalid_api_key'],
    [errors.modelNotFound('x'), 404, 'not_found_error', 'model_not_found'],
    [errors.tooLarge(10), 413, 'invalid_request_error', 'request_too_large'],
    [errors.notImplemented('no embeddings'), 501, 'not_implemented_error', 'unsupported_by_backend'],
    [errors.badGateway('down'), 502, 'server_error', 'upstream_error'],
    [errors.noEngine('m'), 503, 'service_unavailable_error', 'no_available_engine'],
    [errors.gatewayTimeout('slow'), 504, 'timeout_error', 'upstream_timeout'],
  ])('%#: status %i, type %s, code %s', (error, status, type, code) => {
    expect(error.status).toBe(status);
    expect(error.toBody()).toEqual({ error: { message: error.message, type, param: error.param, code } });
  });

  it('names the offending parameter where there is one', () => {
    expect(errors.modelNotFound('gpt-9').toBody().error).toMatchObject({ param: 'model', message: expect.stringContaining('gpt-9') });
  });

  it('turns unknown throws into a 500 that does not leak the original message', () => {
    const e = toProxyError(new Error('secret internals'));
    expect(e).toBeInstanceOf(ProxyError);
    expect(e.status).toBe(500);
    expect(e.message).not.toContain('secret');
  });
});
