import { describe, expect, it } from '@jest/globals';
import { chatChunkFromText, rewriteChunk, withoutTokenIds, wholeAnswerUsage, type RewriteContext } from './chunk-rewriter.js';

const context: RewriteContext = {
  kind: 'chat',
  header: { id: 'chatcmpl-first', created: 100, model: 'm', object: 'chat.completion.chunk' },
  roleSent: true,
  tokensBefore: 4,
  promptTokens: undefined,
};
const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-second',
  object: 'chat.completion.chunk',
  created: 105,
  model: 'm',
  system_fingerprint: 'engine-b',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
  ...extra,
});

describe('rewriteChunk', () => {
  it('gives the continuation the first id, created and model, and keeps its own fingerprint', () => {
    const out = rewriteChunk(chunk({ content: ' fox' }), context);
    expect(out).toMatchObject({ id: 'chatcmpl-first', created: 100, model: 'm', system_fingerprint: 'engine-b', choices: [{ delta: { content: ' fox' } }] });
  });

  it('drops the opening role chunk when the client has its role, and strips a role from a chunk with content', () => {
    expect(rewriteChunk(chunk({ role: 'assistant', content: '' }), context)).toBeUndefined();
    expect(rewriteChunk(chunk({ role: 'assistant', content: 'x' }), context)?.choices).toEqual([{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }]);
    expect(rewriteChunk(chunk({ role: 'assistant', content: '' }), { ...context, roleSent: false })?.choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
  });

  it('leaves the input untouched', () => {
    const input = chunk({ role: 'assistant', content: 'x' });
    rewriteChunk(input, context);
    expect(input.id).toBe('chatcmpl-second');
    expect(input.choices[0]!.delta).toEqual({ role: 'assistant', content: 'x' });
  });

  it('turns the usage chunk into usage for the whole answer', () => {
    const usage = { prompt_tokens: 14, completion_tokens: 6, total_tokens: 20, prompt_tokens_details: { cached_tokens: 12 } };
    const out = rewriteChunk({ id: 'x', created: 1, choices: [], usage }, context);
    expect(out).toEqual({ id: 'chatcmpl-first', created: 100, model: 'm', choices: [], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20, prompt_tokens_details: { cached_tokens: 10 } } });
  });
});

describe('wholeAnswerUsage', () => {
  it("prefers the first engine's prompt count, and changes nothing when no token was sent before", () => {
    expect(wholeAnswerUsage({ prompt_tokens: 15, completion_tokens: 2 }, 5, 9)).toEqual({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
    const usage = { prompt_tokens: 15, completion_tokens: 2, total_tokens: 17 };
    expect(wholeAnswerUsage(usage, 0, undefined)).toBe(usage);
  });
});

describe('withoutTokenIds', () => {
  it('takes the ids the router asked for out of every choice and leaves the rest', () => {
    const chunk = { id: 'c', choices: [{ index: 0, text: ' a', token_ids: [5], prompt_token_ids: [1, 2], finish_reason: null }], usage: null };
    expect(withoutTokenIds(chunk)).toEqual({ id: 'c', choices: [{ index: 0, text: ' a', finish_reason: null }], usage: null });
    expect(chunk.choices[0]).toHaveProperty('token_ids');
  });
});

describe('chatChunkFromText', () => {
  it('turns a completions chunk into a chat chunk with the text as content, keeping finish reason and ids', () => {
    const chunk = { id: 'cmpl-2', object: 'text_completion', created: 5, model: 'm', choices: [{ index: 0, text: ' more', logprobs: null, finish_reason: null, stop_reason: null, token_ids: [7] }] };
    expect(chatChunkFromText(chunk)).toEqual({ id: 'cmpl-2', object: 'chat.completion.chunk', created: 5, model: 'm', choices: [{ index: 0, delta: { content: ' more' }, logprobs: null, finish_reason: null, token_ids: [7] }] });
    const last = { id: 'cmpl-2', choices: [{ index: 0, text: '', finish_reason: 'length' }], usage: null };
    expect(chatChunkFromText(last)).toEqual({ id: 'cmpl-2', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }], usage: null });
  });

  it('takes a chat chunk\'s own prompt ids out too', () => {
    expect(withoutTokenIds({ id: 'c', prompt_token_ids: [1], choices: [{ index: 0, delta: { role: 'assistant' } }] })).toEqual({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant' } }] });
  });
});
