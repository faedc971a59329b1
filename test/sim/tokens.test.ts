import { describe, expect, it } from '@jest/globals';
import { renderChatPrompt, renderCompletionPrompt } from './prompt.js';
import { countTokens, outputText } from './tokens.js';

describe('token counting and prompt rendering', () => {
  it('counts one token per 4 characters, rounded up', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
  });

  it('generates readable text whose token count is exactly the number of tokens generated', () => {
    expect(outputText(5)).toBe('the old fox ran far');
    for (const n of [1, 2, 13, 14, 100]) expect(countTokens(outputText(n))).toBe(n);
  });

  it('renders every chat message, in order, with its role, including text parts', () => {
    const prompt = renderChatPrompt([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Look: ' }, { type: 'image_url', image_url: { url: 'x' } }] },
      { role: 'assistant', content: null },
    ]);
    expect(prompt).toBe('<|system|>\nBe brief.\n<|user|>\nLook: [image_url]\n<|assistant|>\n\n<|assistant|>\n');
  });

  it('rejects chats without messages and prompts that are not text', () => {
    expect(() => renderChatPrompt([])).toThrow(/messages/);
    expect(() => renderChatPrompt([{ content: 'no role' }])).toThrow(/role/);
    expect(() => renderCompletionPrompt(42)).toThrow(/prompt/);
    expect(renderCompletionPrompt(['a', 'b'])).toBe('a\nb');
  });
});
