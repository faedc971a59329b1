import { describe, expect, it } from '@jest/globals';
import { errors } from '../http/errors.js';
import type { InternalDispatcher, InternalRequest, InternalResponse } from '../http/route.js';
import { executeLine, type LineContext } from './execute-line.js';
import { Limiter } from './limiter.js';
import type { BatchRequestLine } from './model.js';

const request: BatchRequestLine = { line: 1, custom_id: 'c1', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', stream: true } };

/** A dispatcher that plays back scripted answers (a thrown Error simulates a connection failure). */
function scripted(answers: Array<InternalResponse | Error>, models = ['m']) {
  const calls: InternalRequest[] = [];
  const dispatcher: InternalDispatcher & { busy: boolean } = {
    busy: false,
    dispatch: async (r) => {
      calls.push(r);
      const next = answers.shift() ?? { status: 200, body: { ok: true } };
      if (next instanceof Error) throw next;
      return next;
    },
    isBusy: () => dispatcher.busy,
    knownModels: () => new Set(models),
  };
  return { dispatcher, calls };
}

function ctx(dispatcher: InternalDispatcher, over: Partial<LineContext> = {}): LineContext {
  return {
    dispatcher,
    endpoint: '/v1/chat/completions',
    limiter: new Limiter(4),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
    busyPollMs: 2,
    signal: new AbortController().signal,
    random: () => 0.5,
    ...over,
  };
}

describe('executeLine', () => {
  it('a 200 becomes an output line with the request id, and streaming is switched off', async () => {
    const { dispatcher, calls } = scripted([{ status: 200, body: { answer: 42 } }]);
    const result = await executeLine(request, ctx(dispatcher));
    expect(result).toEqual({
      ok: true,
      result: { id: expect.stringMatching(/^batch_req_/), custom_id: 'c1', response: { status_code: 200, request_id: calls[0]!.requestId, body: { answer: 42 } }, error: null },
    });
    expect(calls[0]!.body).toEqual({ model: 'm' });
    expect(calls[0]!.path).toBe('/v1/chat/completions');
  });

  it('retries connection errors, 429 and 503 and succeeds within the bound', async () => {
    const { dispatcher, calls } = scripted([new Error('ECONNREFUSED'), { status: 429, body: {} }]);
    const result = await executeLine(request, ctx(dispatcher));
    expect(result?.ok).toBe(true);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(1); // one logical request
  });

  it('gives up after maxAttempts, keeping the last engine answer in the error line', async () => {
    const overloaded = { status: 503, body: { error: { message: 'busy', type: 'server_error', code: 'overloaded' } } };
    const { dispatcher, calls } = scripted([overloaded, overloaded, overloaded]);
    const result = await executeLine(request, ctx(dispatcher));
    expect(calls).toHaveLength(3);
    expect(result).toEqual({
      ok: false,
      result: expect.objectContaining({ response: expect.objectContaining({ status_code: 503 }), error: { code: 'overloaded', message: 'busy' } }),
    });
  });

  it('without any engine answer the error line has response null', async () => {
    const { dispatcher } = scripted([new Error('down'), new Error('down'), new Error('down')]);
    const result = await executeLine(request, ctx(dispatcher));
    expect(result).toEqual({ ok: false, result: expect.objectContaining({ response: null, error: expect.objectContaining({ code: 'engine_unreachable' }) }) });
  });

  it('does not retry a 400: the request itself is wrong', async () => {
    const { dispatcher, calls } = scripted([{ status: 400, body: { error: { message: 'bad', code: 'invalid_value' } } }]);
    expect((await executeLine(request, ctx(dispatcher)))?.result.error).toEqual({ code: 'invalid_value', message: 'bad' });
    expect(calls).toHaveLength(1);
  });

  it('a ProxyError from the routing core is an answer like any other (503 no engine is retried)', async () => {
    const { dispatcher, calls } = scripted([errors.noEngine('m') as unknown as Error]);
    expect((await executeLine(request, ctx(dispatcher)))?.ok).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('an unknown model fails the line without dispatching', async () => {
    const { dispatcher, calls } = scripted([], ['other']);
    const result = await executeLine(request, ctx(dispatcher));
    expect(result?.result.error?.code).toBe('model_not_found');
    expect(calls).toHaveLength(0);
  });

  it('waits while the model is busy, and dispatches once it is not', async () => {
    const { dispatcher, calls } = scripted([]);
    dispatcher.busy = true;
    const pending = executeLine(request, ctx(dispatcher));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(0);
    dispatcher.busy = false;
    expect((await pending)?.ok).toBe(true);
  });

  it('resolves undefined (no result, so the line reruns later) when aborted', async () => {
    const ac = new AbortController();
    const dispatcher: InternalDispatcher = {
      dispatch: (r) =>
        new Promise((_, reject) => {
          if (r.signal?.aborted) reject(new Error('aborted'));
          r.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
      isBusy: () => false,
      knownModels: () => new Set(['m']),
    };
    const pending = executeLine(request, ctx(dispatcher, { signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 5)); // let the request go out first
    ac.abort('cancelled');
    expect(await pending).toBeUndefined();
  });
});
