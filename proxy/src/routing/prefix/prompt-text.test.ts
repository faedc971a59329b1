import { describe, expect, it } from '@jest/globals';
import type { PickRequest } from '../policies/policy.js';
import { promptTextOf } from './prompt-text.js';

const req = (body: Record<string, unknown> | undefined): PickRequest => ({ model: 'm', path: '/v1/chat/completions', headers: {}, body });

describe('the prompt a request carries', () => {
  it('renders every chat message in order, so a later turn extends the earlier turn\'s prompt', () => {
    const turn1 = [{ role: 'system', content: 'You help.' }, { role: 'user', content: 'Hi' }];
    const turn2 = [...turn1, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'More' }];
    const t1 = promptTextOf(req({ messages: turn1 }), 10_000)!;
    const t2 = promptTextOf(req({ messages: turn2 }), 10_000)!;
    expect(t1).toBe('<|system|>\nYou help.\n<|user|>\nHi\n');
    expect(t2.startsWith(t1)).toBe(true);
    expect(t2).toContain('Hello!');
  });

  it('reads text parts and marks images by URL', () => {
    const text = promptTextOf(req({ messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'http://x/cat.png' } }] }] }), 1000);
    expect(text).toBe('<|user|>\nlook[http://x/cat.png]\n');
  });

  it('reads completions prompts, responses input and the messages API system prompt', () => {
    expect(promptTextOf(req({ prompt: 'Once upon' }), 1000)).toBe('Once upon');
    expect(promptTextOf(req({ prompt: ['a', 'b'] }), 1000)).toBe('a\nb');
    expect(promptTextOf(req({ instructions: 'Be brief.', input: 'Why?' }), 1000)).toBe('<|system|>\nBe brief.\n<|user|>\nWhy?\n');
    expect(promptTextOf(req({ system: 'S', messages: [{ role: 'user', content: 'U' }] }), 1000)).toBe('<|system|>\nS\n<|user|>\nU\n');
  });

  it('stops at the budget, and has nothing for bodies without a prompt', () => {
    expect(promptTextOf(req({ prompt: 'x'.repeat(500) }), 100)).toHaveLength(100);
    expect(promptTextOf(req({ input: 42 }), 100)).toBeUndefined();
    expect(promptTextOf(req(undefined), 100)).toBeUndefined();
  });
});
