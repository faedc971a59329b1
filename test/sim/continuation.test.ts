import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { continuedTokens } from './continuation.js';
import { startEngineSim, type EngineSim } from './index.js';
import { postJson, streamSse, jsonEvents } from './test-client.js';
import { countTokens, outputText } from './tokens.js';

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
interface ChatAnswer {
  choices: Array<{ message: { content: string }; finish_reason: string }>;
  usage: Usage;
}
interface TextAnswer {
  choices: Array<{ text: string; finish_reason: string }>;
  usage: Usage;
}

describe('continuedTokens', () => {
  it('counts the output tokens a text ends with, preferring the longest match', () => {
    expect(continuedTokens('')).toBe(0);
    expect(continuedTokens('hello')).toBe(0);
    expect(continuedTokens('hello the')).toBe(1);
    expect(continuedTokens(`prompt ${outputText(2)}`)).toBe(2);
    expect(continuedTokens(outputText(9))).toBe(9); // ends with "the", also outputText(1): the longer wins
    expect(continuedTokens(`x${outputText(40)}`)).toBe(40);
    expect(continuedTokens('the old cat')).toBe(0);
  });
});

describe('vllm-engine-sim continuing its own answer', () => {
  let sim: EngineSim;
  let plain: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'cont', outputTokens: 12, continueCompletions: true });
    plain = await startEngineSim({ engineId: 'plain', outputTokens: 12 });
  });
  afterAll(async () => {
    await sim.close();
    await plain.close();
  });

  const messages = [{ role: 'user', content: 'tell me a story' }];

  it('continues a chat answer given as a final assistant message, word for word, with additive usage', async () => {
    const whole = await postJson<ChatAnswer>(`${sim.url}/v1/chat/completions`, { messages, max_tokens: 10 });
    const partial = outputText(4);
    const rest = await postJson<ChatAnswer>(`${sim.url}/v1/chat/completions`, {
      messages: [...messages, { role: 'assistant', content: partial }],
      continue_final_message: true,
      add_generation_prompt: false,
      max_tokens: 6,
    });
    expect(partial + rest.json.choices[0]!.message.content).toBe(whole.json.choices[0]!.message.content);
    expect(rest.json.choices[0]!.finish_reason).toBe(whole.json.choices[0]!.finish_reason);
    expect(rest.json.usage.prompt_tokens - 4).toBe(whole.json.usage.prompt_tokens);
    expect(rest.json.usage.completion_tokens + 4).toBe(whole.json.usage.completion_tokens);
  });

  it('continues a streamed completion whose prompt ends with the answer so far', async () => {
    const prompt = 'Once upon a time:';
    const whole = await postJson<TextAnswer>(`${sim.url}/v1/completions`, { prompt });
    const stream = await streamSse(`${sim.url}/v1/completions`, { prompt: prompt + outputText(5), stream: true, stream_options: { include_usage: true } });
    const chunks = jsonEvents<{ choices: Array<{ text: string }>; usage?: Usage | null }>(stream);
    const text = chunks.map((c) => c.choices[0]?.text ?? '').join('');
    expect(outputText(5) + text).toBe(whole.json.choices[0]!.text);
    expect(chunks.at(-1)!.usage).toEqual(expect.objectContaining({ prompt_tokens: countTokens(prompt) + 5, completion_tokens: 7 }));
  });

  it('without continueCompletions, a prompt ending in "the" still starts the sequence afresh', async () => {
    const r = await postJson<TextAnswer>(`${plain.url}/v1/completions`, { prompt: 'say the', max_tokens: 3 });
    expect(r.json.choices[0]!.text).toBe(outputText(3));
  });

  it('ends at once when the continued answer already said everything', async () => {
    const r = await postJson<ChatAnswer>(`${sim.url}/v1/chat/completions`, {
      messages: [...messages, { role: 'assistant', content: outputText(12) }],
      continue_final_message: true,
      add_generation_prompt: false,
    });
    expect(r.json.choices[0]).toMatchObject({ message: { content: '' }, finish_reason: 'stop' });
    expect(r.json.usage.completion_tokens).toBe(0);
  });

  it('refuses continue_final_message with add_generation_prompt, as vLLM does', async () => {
    const r = await postJson<{ error: { code: string } }>(`${sim.url}/v1/chat/completions`, {
      messages: [...messages, { role: 'assistant', content: 'the' }],
      continue_final_message: true,
      add_generation_prompt: true,
    });
    expect(r.status).toBe(400);
  });
});
