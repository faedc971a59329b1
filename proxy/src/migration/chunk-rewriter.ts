import { isRecord, type AnswerHeader, type CompletionKind, type Json } from './answer-state.js';

export interface RewriteContext {
  kind: CompletionKind;
  /** The answer's header as the client first saw it. */
  header: AnswerHeader | undefined;
  /** The client already has an assistant role delta: the new engine's opening role chunk is dropped. */
  roleSent: boolean;
  /** Tokens sent before this engine took over: its usage counts them as prompt, the client's answer as completion. */
  tokensBefore: number;
  /** The original prompt's size, when the first engine reported it. */
  promptTokens: number | undefined;
}

/**
 * Makes a chunk from the engine that took over look like the rest of the answer: the first engine's
 * id, created and model; no second opening role chunk; usage for the whole answer (prompt = the
 * client's prompt, completion = every token it received). Returns undefined for a chunk to drop.
 * The input is not modified.
 */
export function rewriteChunk(chunk: Json, context: RewriteContext): Json | undefined {
  const out: Json = { ...chunk };
  if (context.header) {
    if (context.header.id !== undefined) out.id = context.header.id;
    if (context.header.created !== undefined) out.created = context.header.created;
    if (context.header.model !== undefined) out.model = context.header.model;
  }
  if (isRecord(chunk.usage)) out.usage = wholeAnswerUsage(chunk.usage, context.tokensBefore, context.promptTokens);
  if (context.kind === 'chat' && context.roleSent && Array.isArray(chunk.choices)) {
    const choices = chunk.choices.map(withoutRole).filter((c) => c !== undefined);
    if (choices.length === 0 && chunk.choices.length > 0 && !isRecord(chunk.usage)) return undefined;
    out.choices = choices;
  }
  return out;
}

/** A choice without its role; undefined when nothing else is left in it (the opening role chunk). */
function withoutRole(choice: unknown): unknown {
  if (!isRecord(choice) || !isRecord(choice.delta) || choice.delta.role === undefined) return choice;
  const { role: _role, ...delta } = choice.delta;
  const emptyDelta = Object.keys(delta).every((k) => delta[k] === '' || delta[k] === null || delta[k] === undefined);
  const finished = choice.finish_reason !== undefined && choice.finish_reason !== null;
  if (emptyDelta && !finished) return undefined;
  return { ...choice, delta };
}

/** The continuing engine counted the tokens already sent as prompt; move them back to completion. */
export function wholeAnswerUsage(usage: Json, tokensBefore: number, promptTokens: number | undefined): Json {
  if (tokensBefore === 0 || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') return usage;
  const prompt = promptTokens ?? Math.max(0, usage.prompt_tokens - tokensBefore);
  const completion = usage.completion_tokens + tokensBefore;
  const out: Json = { ...usage, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const details = usage.prompt_tokens_details;
  if (isRecord(details) && typeof details.cached_tokens === 'number')
    out.prompt_tokens_details = { ...details, cached_tokens: Math.min(details.cached_tokens, prompt) };
  return out;
}

/** A chunk without the token ids the router asked vLLM for (`prompt_token_ids`, and `token_ids` on each choice). */
export function withoutTokenIds(chunk: Json): Json {
  const { prompt_token_ids: _chatPrompt, ...rest } = chunk;
  if (!Array.isArray(chunk.choices)) return rest;
  return {
    ...rest,
    choices: chunk.choices.map((choice: unknown) => {
      if (!isRecord(choice)) return choice;
      const { prompt_token_ids: _prompt, token_ids: _answer, ...rest } = choice;
      return rest;
    }),
  };
}

/**
 * A /v1/completions chunk (a chat continued from token ids) as a chat chunk: its text as the delta's
 * content; finish reason, token ids and usage kept; id, created and model are set by rewriteChunk.
 */
export function chatChunkFromText(chunk: Json): Json {
  const out: Json = { ...chunk, object: 'chat.completion.chunk' };
  if (Array.isArray(chunk.choices))
    out.choices = chunk.choices.map((choice: unknown) => {
      if (!isRecord(choice)) return choice;
      const text = choice.text;
      return {
        index: choice.index,
        delta: typeof text === 'string' && text.length > 0 ? { content: text } : {},
        logprobs: null,
        finish_reason: choice.finish_reason ?? null,
        ...(choice.token_ids !== undefined ? { token_ids: choice.token_ids } : {}),
      };
    });
  return out;
}
