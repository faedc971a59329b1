import { afterEach, describe, expect, it } from '@jest/globals';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { chatPromptIds, greedyAnswer, promptIds, startTokenEngine, tokenText, type TokenEngine, type TokenEngineFleet } from './token-engine.js';

interface StreamSeen {
  text: string;
  chunks: Array<Record<string, unknown>>;
}

async function streamCompletion(url: string, body: Record<string, unknown>, path = '/v1/completions'): Promise<StreamSeen> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  const raw = await r.text();
  const chunks = raw
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
  const text = chunks.flatMap((c) => (c.choices as Array<{ text?: string; delta?: { content?: string } }>).map((ch) => ch.text ?? ch.delta?.content ?? '')).join('');
  return { text, chunks };
}

const PROMPT = 'Once';
const expectedText = (count: number) => greedyAnswer(promptIds(PROMPT), count).map(tokenText).join('');

describe('a completion migrated between vLLM engines continues from token ids', () => {
  let engines: TokenEngine[] = [];
  let router: RunningRouter | undefined;
  afterEach(async () => {
    await router?.close();
    await Promise.all(engines.map((e) => e.close()));
    engines = [];
  });

  async function fleetOf(fleet: TokenEngineFleet): Promise<RunningRouter> {
    engines = [await startTokenEngine('127.0.0.41', fleet), await startTokenEngine('127.0.0.42', fleet)];
    router = await startRouter({ engines: engines.map((e, i) => ({ id: `e${i}`, url: e.url, models: ['m'] })) });
    return router;
  }

  it('asks for token ids, hides them from the client, and continues from the prompt ids and the answer ids the client has', async () => {
    const r = await fleetOf({ dieAfterChunks: 4, heldBack: new Set([3]) });
    const seen = await streamCompletion(r.url, { model: 'm', prompt: PROMPT, max_tokens: 10, temperature: 0, stream_options: { include_usage: true } });

    // The text of an uninterrupted run: the held-back fourth token is produced again, not lost or doubled.
    expect(seen.text).toBe(expectedText(10));
    expect(JSON.stringify(seen.chunks)).not.toMatch(/token_ids/);
    expect(seen.chunks.at(-1)).toMatchObject({ usage: { prompt_tokens: 4, completion_tokens: 10 } });
    expect(new Set(seen.chunks.map((c) => c.id)).size).toBe(1);

    const bodies = engines.flatMap((e) => e.bodies);
    expect(bodies).toHaveLength(2);
    const original = bodies.find((b) => b.prompt === PROMPT)!;
    const continuation = bodies.find((b) => b !== original)!;
    expect(original).toMatchObject({ return_token_ids: true, max_tokens: 10 });
    // Three tokens reached the client (the fourth was still held back when the engine died).
    const sent = greedyAnswer(promptIds(PROMPT), 3);
    expect(continuation).toMatchObject({ prompt: [...promptIds(PROMPT), ...sent], max_tokens: 7, return_token_ids: true });
  });

  it('gives a client that asks for token ids itself the engines\' ids unchanged', async () => {
    const r = await fleetOf({});
    const seen = await streamCompletion(r.url, { model: 'm', prompt: PROMPT, max_tokens: 3, return_token_ids: true });
    expect(seen.chunks[0]).toMatchObject({ choices: [{ prompt_token_ids: promptIds(PROMPT), token_ids: [greedyAnswer(promptIds(PROMPT), 1)[0]] }] });
  });

  it('does not ask for token ids when the request has stop strings (vLLM holds back text that may start one)', async () => {
    const r = await fleetOf({});
    await streamCompletion(r.url, { model: 'm', prompt: PROMPT, max_tokens: 3, stop: ['\n'] });
    expect(engines.flatMap((e) => e.bodies)[0]).not.toHaveProperty('return_token_ids');
  });

  it('continues a chat on /v1/completions from its prompt ids and the answer ids, as chat chunks', async () => {
    const r = await fleetOf({ dieAfterChunks: 4 });
    const messages = [{ role: 'user', content: 'hi' }];
    const seen = await streamCompletion(r.url, { model: 'm', messages, max_completion_tokens: 10, temperature: 0, stream_options: { include_usage: true } }, '/v1/chat/completions');

    const prompt = chatPromptIds(messages);
    expect(seen.text).toBe(greedyAnswer(prompt, 10).map(tokenText).join(''));
    expect(new Set(seen.chunks.map((c) => c.object))).toEqual(new Set(['chat.completion.chunk']));
    expect(new Set(seen.chunks.map((c) => c.id)).size).toBe(1);
    expect(JSON.stringify(seen.chunks)).not.toMatch(/token_ids/);
    expect(seen.chunks.filter((c) => (c.choices as Array<{ delta?: { role?: string } }>)[0]?.delta?.role)).toHaveLength(1);
    expect(seen.chunks.at(-1)).toMatchObject({ usage: { prompt_tokens: prompt.length, completion_tokens: 10 } });

    const continued = engines.flatMap((e) => e.paths.map((path, i) => ({ path, body: e.bodies[i]! }))).find((x) => x.path === '/v1/completions')!;
    // The role chunk and three content chunks reached the client before the engine died.
    expect(continued.body).toEqual(expect.objectContaining({ prompt: [...prompt, ...greedyAnswer(prompt, 3)], max_tokens: 7, return_token_ids: true }));
    expect(continued.body).not.toHaveProperty('messages');
  });
});
