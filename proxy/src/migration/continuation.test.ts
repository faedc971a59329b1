import { describe, expect, it } from '@jest/globals';
import { chatTokenContinuation, completionsPathFor, continuationBody, requestBlocker, tokenContinuationBody, tokensLeft, withTokenIds } from './continuation.js';

describe('continuationBody', () => {
  it('completions: appends the text so far to the prompt and lowers the limits by the tokens sent', () => {
    const body = { model: 'm', prompt: 'Once', max_tokens: 10, min_tokens: 2, seed: 7, temperature: 0, stream: true };
    expect(continuationBody('text', body, ' upon a', 2)).toEqual({ model: 'm', prompt: 'Once upon a', max_tokens: 8, min_tokens: 0, seed: 7, temperature: 0, stream: true });
    expect(continuationBody('text', { prompt: ['Once'] }, ' upon', 1)).toEqual({ prompt: ['Once upon'] });
  });

  it('chat: adds the text so far as an assistant message to continue', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 5, stream_options: { include_usage: true } };
    expect(continuationBody('chat', body, 'Hello', 1)).toEqual({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello' },
      ],
      max_completion_tokens: 4,
      stream_options: { include_usage: true },
      continue_final_message: true,
      add_generation_prompt: false,
    });
  });

  it('chat: extends the assistant message the client was itself continuing', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Sure:' }], continue_final_message: true, add_generation_prompt: false };
    const next = continuationBody('chat', body, ' yes', 1);
    expect(next.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Sure: yes' },
    ]);
    const parts = continuationBody('chat', { ...body, messages: [{ role: 'assistant', content: [{ type: 'text', text: 'A' }] }] }, 'B', 1);
    expect(parts.messages).toEqual([{ role: 'assistant', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] }]);
  });

  it('keeps a limit of at least one token, and returns the original body when nothing was sent', () => {
    expect(continuationBody('text', { prompt: 'p', max_tokens: 3 }, 'abc', 3).max_tokens).toBe(1);
    const body = { prompt: 'p', max_tokens: 3 };
    expect(continuationBody('text', body, '', 0)).toBe(body);
  });

  it('tokensLeft: max_completion_tokens first, then max_tokens, else no limit', () => {
    expect(tokensLeft({ max_completion_tokens: 5, max_tokens: 9 }, 2)).toBe(3);
    expect(tokensLeft({ max_tokens: 9 }, 9)).toBe(0);
    expect(tokensLeft({}, 9)).toBeUndefined();
  });
});

describe('requestBlocker', () => {
  it.each([
    ['chat', { messages: [{}], n: 2 }, 'n'],
    ['text', { prompt: 'p', best_of: 3 }, 'n'],
    ['chat', { messages: [{}], logprobs: true }, 'logprobs'],
    ['text', { prompt: 'p', logprobs: 2 }, 'logprobs'],
    ['text', { prompt: 'p', echo: true }, 'echo'],
    ['chat', { messages: [{}], response_format: { type: 'json_object' } }, 'structured_output'],
    ['chat', { messages: [{}], guided_json: {} }, 'structured_output'],
    ['text', { prompt: [1, 2, 3] }, 'prompt_shape'],
    ['text', { prompt: ['a', 'b'] }, 'prompt_shape'],
    ['chat', { messages: 'hi' }, 'messages_shape'],
  ] as const)('%s %j cannot be continued (%s)', (kind, body, reason) => {
    expect(requestBlocker(kind, body)).toBe(reason);
  });

  it('lets ordinary requests through, tools and sampling included', () => {
    expect(requestBlocker('chat', { messages: [{ role: 'user', content: 'x' }], n: 1, tools: [{}], seed: 1, temperature: 0.7, response_format: { type: 'text' } })).toBeUndefined();
    expect(requestBlocker('text', { prompt: ['one'], logprobs: null })).toBeUndefined();
  });
});

describe('continuing from token ids', () => {
  it('puts the prompt and answer ids in the prompt and lowers the limits by the tokens sent', () => {
    const body = { model: 'm', prompt: 'Once', max_tokens: 10, min_tokens: 4, stream: true, return_token_ids: true };
    expect(tokenContinuationBody(body, [1, 2, 3], 2)).toEqual({ model: 'm', prompt: [1, 2, 3], max_tokens: 8, min_tokens: 2, stream: true, return_token_ids: true });
  });

  it('asks for token ids on streamed chats and completions only, never over the client\'s own choice or with stop strings', () => {
    expect(withTokenIds('text', { prompt: 'x', stream: true })).toEqual({ prompt: 'x', stream: true, return_token_ids: true });
    expect(withTokenIds('chat', { messages: [], stream: true })).toEqual({ messages: [], stream: true, return_token_ids: true });
    expect(withTokenIds('text', { prompt: 'x', stream: true, stop: [] })).toEqual({ prompt: 'x', stream: true, stop: [], return_token_ids: true });
    expect(withTokenIds('text', { prompt: 'x' })).toBeUndefined();
    expect(withTokenIds('chat', { messages: 'hi', stream: true })).toBeUndefined();
    expect(withTokenIds('text', { prompt: 'x', stream: true, return_token_ids: false })).toBeUndefined();
    expect(withTokenIds('text', { prompt: 'x', stream: true, stop: 'END' })).toBeUndefined();
    expect(withTokenIds('text', { prompt: 'x', stream: true, stop: ['a'] })).toBeUndefined();
  });
});

describe('a chat continued from token ids', () => {
  it('becomes a completions request: the ids as prompt, the same sampling, the tokens left as max_tokens', () => {
    const chat = {
      model: 'm', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 10, temperature: 0, seed: 3, ignore_eos: true,
      stream: true, stream_options: { include_usage: true }, return_token_ids: true, chat_template_kwargs: { x: 1 }, add_generation_prompt: true,
    };
    expect(chatTokenContinuation(chat, [1, 2, 9], 4)).toEqual({
      model: 'm', max_tokens: 6, temperature: 0, seed: 3, ignore_eos: true, stream: true, stream_options: { include_usage: true }, return_token_ids: true, prompt: [1, 2, 9],
    });
  });

  it('without a limit, lets the engine fill the context (vLLM\'s completions default would stop at 16 tokens)', () => {
    expect(chatTokenContinuation({ messages: [], stream: true }, [1], 2)).toEqual({ stream: true, max_tokens: null, prompt: [1] });
  });

  it('goes to the completions path beside the chat path', () => {
    expect(completionsPathFor('/v1/chat/completions')).toBe('/v1/completions');
    expect(completionsPathFor('/v1/chat/completions?trace=1')).toBe('/v1/completions?trace=1');
  });
});
