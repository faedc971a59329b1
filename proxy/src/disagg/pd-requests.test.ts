import { describe, expect, it } from '@jest/globals';
import { decodeBody, kvTransferParamsOf, prefillBody } from './pd-requests.js';

const client = {
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 64,
  max_completion_tokens: 64,
  min_tokens: 8,
  min_completion_tokens: 8,
  stream: true,
  stream_options: { include_usage: true },
  temperature: 0,
  kv_transfer_params: { remote_host: 'elsewhere' },
};

describe('the legs of a disaggregated request', () => {
  it('orchestrated prefill: one token, not streamed, asking the connector to keep the blocks for a remote decode', () => {
    expect(prefillBody(client, 'disaggregated_prefill_orchestrated')).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 1,
      max_completion_tokens: 1,
      stream: false,
      temperature: 0,
      kv_transfer_params: { do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null },
    });
  });

  it('LMCache prefill: max_tokens 1 and max_completion_tokens dropped, as production-stack sends it; no kv_transfer_params', () => {
    expect(prefillBody(client, 'disaggregated_prefill')).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, stream: false, temperature: 0 });
  });

  it('adds max_completion_tokens only when the client sent it', () => {
    expect(prefillBody({ model: 'm', prompt: 'x' }, 'disaggregated_prefill_orchestrated')).not.toHaveProperty('max_completion_tokens');
  });

  it("decode: the client's request, with the prefill's params in place of any the client sent", () => {
    const params = { do_remote_prefill: true, remote_engine_id: 'e', extra: { nested: [1] } };
    expect(decodeBody(client, params)).toEqual({ ...client, kv_transfer_params: params });
    expect(decodeBody(client, undefined)).not.toHaveProperty('kv_transfer_params');
    expect(client.kv_transfer_params).toEqual({ remote_host: 'elsewhere' }); // inputs untouched
  });

  it('takes any object as the prefill answer\'s kv_transfer_params, and says why anything else is not', () => {
    expect(kvTransferParamsOf({ kv_transfer_params: { a: 1 } })).toEqual({ ok: true, params: { a: 1 } });
    expect(kvTransferParamsOf({ kv_transfer_params: null })).toMatchObject({ ok: false, reason: expect.stringContaining('no kv_transfer_params') });
    expect(kvTransferParamsOf({})).toMatchObject({ ok: false });
    expect(kvTransferParamsOf({ kv_transfer_params: [1] })).toMatchObject({ ok: false, reason: expect.stringContaining('not an object') });
    expect(kvTransferParamsOf('text')).toMatchObject({ ok: false, reason: 'the prefill answer is not a JSON object' });
  });
});
