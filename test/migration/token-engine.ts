import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A vLLM-like /v1/completions and /v1/chat/completions engine over a toy vocabulary, for what the
 * simulator does not do: `return_token_ids` and prompts given as token ids (a chat's template is
 * chatPromptIds; like vLLM, its first chunk carries the prompt's ids). A string prompt's ids are its character codes;
 * each next token is the sum of every id so far modulo 97 (greedy and deterministic, so an answer
 * continued from its ids equals an uninterrupted one); token n reads as ` w<n>`. Like vLLM, with
 * `return_token_ids` the first chunk carries `prompt_token_ids` and each chunk its `token_ids`; a
 * token listed in `heldBack` streams with empty text, its text coming with the next chunk (as vLLM
 * holds back an incomplete character).
 */
export interface TokenEngineFleet {
  /** The fleet's first request breaks off after this many chunks (the engine dies mid-answer). */
  dieAfterChunks?: number;
  /** Answer positions whose text is held back to the next chunk. */
  heldBack?: ReadonlySet<number>;
}

export interface TokenEngine {
  url: string;
  /** Bodies of the requests it got, in order, and their paths. */
  bodies: Array<Record<string, unknown>>;
  paths: string[];
  close(): Promise<void>;
}

export const tokenText = (id: number): string => ` w${id}`;

export function promptIds(prompt: unknown): number[] {
  if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'number')) return prompt as number[];
  const text = typeof prompt === 'string' ? prompt : Array.isArray(prompt) && typeof prompt[0] === 'string' ? prompt[0] : '';
  return [...text].map((c) => c.codePointAt(0)!);
}

/** The toy model's context length: an answer without a limit fills it. */
const CONTEXT = 64;

/** A chat's prompt ids: its template is a 1, each message's content as character codes, a 2. */
export function chatPromptIds(messages: unknown): number[] {
  const contents = Array.isArray(messages) ? messages.map((m) => String((m as { content?: unknown }).content ?? '')) : [];
  return [1, ...[...contents.join('')].map((c) => c.codePointAt(0)!), 2];
}

/** The toy model's greedy answer of `count` tokens to `prompt`. */
export function greedyAnswer(prompt: readonly number[], count: number): number[] {
  const ids = [...prompt];
  let sum = ids.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = sum % 97;
    out.push(next);
    ids.push(next);
    sum += next;
  }
  return out;
}

export async function startTokenEngine(host: string, fleet: TokenEngineFleet): Promise<TokenEngine> {
  const bodies: Array<Record<string, unknown>> = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const chat = req.url === '/v1/chat/completions';
      if (!chat && req.url !== '/v1/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      bodies.push(body);
      paths.push(req.url ?? '');
      const dieAfter = fleet.dieAfterChunks;
      fleet.dieAfterChunks = undefined;
      const prompt = chat ? chatPromptIds(body.messages) : promptIds(body.prompt);
      const limit = chat ? (body.max_completion_tokens ?? body.max_tokens) : body.max_tokens === undefined ? 16 : body.max_tokens;
      const answer = greedyAnswer(prompt, typeof limit === 'number' ? limit : CONTEXT - prompt.length);
      const withIds = body.return_token_ids === true;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events: string[] = [];
      const object = chat ? 'chat.completion.chunk' : 'text_completion';
      const envelope = { id: `cmpl-${bodies.length}`, object, created: 7, model: body.model };
      if (chat) events.push(`data: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...(withIds ? { prompt_token_ids: prompt } : {}) })}\n\n`);
      let carried = '';
      answer.forEach((id, i) => {
        const held = fleet.heldBack?.has(i) && i < answer.length - 1;
        const text = held ? '' : carried + tokenText(id);
        carried = held ? carried + tokenText(id) : '';
        const finish = i === answer.length - 1 ? (typeof limit === 'number' ? 'length' : 'stop') : null;
        const ids = withIds ? { token_ids: [id], ...(i === 0 && !chat ? { prompt_token_ids: prompt } : {}) } : {};
        const choice = chat
          ? { index: 0, delta: text ? { content: text } : {}, logprobs: null, finish_reason: finish, ...ids }
          : { index: 0, text, logprobs: null, finish_reason: finish, ...ids };
        events.push(`data: ${JSON.stringify({ ...envelope, choices: [choice] })}\n\n`);
      });
      const usage = { prompt_tokens: prompt.length, completion_tokens: answer.length, total_tokens: prompt.length + answer.length };
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      if (options?.include_usage) events.push(`data: ${JSON.stringify({ ...envelope, choices: [], usage })}\n\n`);
      events.push('data: [DONE]\n\n');
      if (dieAfter !== undefined) res.write(events.slice(0, dieAfter).join(''), () => res.destroy());
      else res.end(events.join(''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    bodies,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
