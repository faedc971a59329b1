import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A vLLM-like /v1/completions engine over a toy vocabulary, for what the simulator does not do:
 * `return_token_ids` and prompts given as token ids. A string prompt's ids are its character codes;
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
  /** Bodies of the completions requests it got, in order. */
  bodies: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export const tokenText = (id: number): string => ` w${id}`;

export function promptIds(prompt: unknown): number[] {
  if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'number')) return prompt as number[];
  const text = typeof prompt === 'string' ? prompt : Array.isArray(prompt) && typeof prompt[0] === 'string' ? prompt[0] : '';
  return [...text].map((c) => c.codePointAt(0)!);
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
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (req.url !== '/v1/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      bodies.push(body);
      const dieAfter = fleet.dieAfterChunks;
      fleet.dieAfterChunks = undefined;
      const prompt = promptIds(body.prompt);
      const answer = greedyAnswer(prompt, typeof body.max_tokens === 'number' ? body.max_tokens : 16);
      const withIds = body.return_token_ids === true;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const events: string[] = [];
      let carried = '';
      answer.forEach((id, i) => {
        const held = fleet.heldBack?.has(i) && i < answer.length - 1;
        const text = held ? '' : carried + tokenText(id);
        carried = held ? carried + tokenText(id) : '';
        const choice = {
          index: 0,
          text,
          logprobs: null,
          finish_reason: i === answer.length - 1 ? 'length' : null,
          ...(withIds ? { token_ids: [id], ...(i === 0 ? { prompt_token_ids: prompt } : {}) } : {}),
        };
        events.push(`data: ${JSON.stringify({ id: `cmpl-${bodies.length}`, object: 'text_completion', created: 7, model: body.model, choices: [choice] })}\n\n`);
      });
      const usage = { prompt_tokens: prompt.length, completion_tokens: answer.length, total_tokens: prompt.length + answer.length };
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      if (options?.include_usage) events.push(`data: ${JSON.stringify({ id: `cmpl-${bodies.length}`, object: 'text_completion', created: 7, model: body.model, choices: [], usage })}\n\n`);
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
