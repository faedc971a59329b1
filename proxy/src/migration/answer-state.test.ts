import { describe, expect, it } from '@jest/globals';
import { AnswerState, isErrorEvent } from './answer-state.js';

const chat = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id: 'c1', created: 9, model: 'm', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null, ...extra }] });
const text = (t: string, extra: Record<string, unknown> = {}) => ({ id: 't1', created: 9, choices: [{ index: 0, text: t, finish_reason: null, ...extra }] });

describe('AnswerState', () => {
  it('collects the text, the role and the header of a chat answer, one token per content chunk', () => {
    const a = new AnswerState('chat');
    a.observe(chat({ role: 'assistant', content: '' }));
    a.observe(chat({ content: 'the' }));
    a.observe(chat({ content: ' old' }));
    expect([a.text, a.tokens, a.roleSent, a.contentSent]).toEqual(['the old', 2, true, true]);
    expect(a.header).toEqual({ id: 'c1', created: 9, model: 'm', object: 'chat.completion.chunk' });
  });

  it("uses the engine's per-chunk usage when it reports one (continuous usage stats)", () => {
    const a = new AnswerState('text');
    a.observe({ ...text('several words'), usage: { prompt_tokens: 5, completion_tokens: 3 } });
    expect([a.tokens, a.promptTokens]).toEqual([3, 5]);
    a.beginLeg();
    a.observe({ ...text(' more'), usage: { prompt_tokens: 9, completion_tokens: 1 } });
    expect([a.tokens, a.tokensBeforeCurrentLeg, a.promptTokens, a.text]).toEqual([4, 3, 5, 'several words more']);
  });

  it('notes the finish reason and the final usage chunk', () => {
    const a = new AnswerState('text');
    a.observe(text('', { finish_reason: 'length' }));
    a.observe({ id: 't1', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect([a.finishReason, a.usageSent]).toEqual(['length', true]);
  });

  it.each([
    ['tool calls', chat({ tool_calls: [{ index: 0, function: { name: 'f' } }] }), 'tool_calls'],
    ['reasoning', chat({ reasoning_content: 'hmm' }), 'reasoning'],
    ['a second choice', { choices: [{ index: 1, delta: { content: 'x' } }] }, 'n'],
    ['logprobs', chat({ content: 'x' }, { logprobs: { content: [] } }), 'logprobs'],
  ])('marks an answer with %s as impossible to continue', (_what, chunk, reason) => {
    const a = new AnswerState('chat');
    a.observe(chunk);
    expect(a.blocked).toBe(reason);
  });

  it("recognises vLLM's error events, old and new", () => {
    expect(isErrorEvent({ error: { message: 'x', type: 'InternalServerError', code: 500 } })).toBe(true);
    expect(isErrorEvent({ object: 'error', message: 'x' })).toBe(true);
    expect(isErrorEvent(chat({ content: 'error' }))).toBe(false);
  });

  it("keeps the token ids of the answer the client has, leaving out a token whose text is held back", () => {
    const a = new AnswerState('text');
    a.observe(text(' a', { prompt_token_ids: [1, 2], token_ids: [10] }));
    a.observe(text(' b', { token_ids: [11] }));
    a.observe(text('', { token_ids: [12] }));
    expect([a.tokenPrompt, a.tokens]).toEqual([[1, 2, 10, 11], 2]);
    a.beginLeg();
    a.observe(text(' c', { prompt_token_ids: [1, 2, 10, 11], token_ids: [12] }));
    expect([a.tokenPrompt, a.tokens, a.text]).toEqual([[1, 2, 10, 11, 12], 3, ' a b c']);
  });

  it('has no token prompt once a chunk with text came without its ids', () => {
    const a = new AnswerState('text');
    a.observe(text(' a', { prompt_token_ids: [1], token_ids: [10] }));
    a.observe(text(' b'));
    expect([a.tokenPrompt, a.tokens]).toEqual([undefined, 2]);
  });

  it("takes a chat's prompt ids from its first chunk", () => {
    const a = new AnswerState('chat');
    a.observe({ ...chat({ role: 'assistant', content: '' }), prompt_token_ids: [4, 5] });
    a.observe(chat({ content: 'hi' }, { token_ids: [40] }));
    expect(a.tokenPrompt).toEqual([4, 5, 40]);
  });
});
