import { isRecord, type CompletionKind, type Json } from './answer-state.js';

/** A request feature that a continuation cannot carry faithfully, once the client has part of the answer. */
export type RequestBlocker = 'n' | 'logprobs' | 'echo' | 'structured_output' | 'prompt_shape' | 'messages_shape';

/** Fields that constrain the whole output with a grammar: a continuation would restart the grammar mid-answer. */
const STRUCTURED_FIELDS = ['guided_json', 'guided_regex', 'guided_choice', 'guided_grammar', 'structured_outputs', 'regex', 'ebnf'];

/**
 * Why a request cannot be continued from a partial answer, or undefined when it can. (A request whose
 * client has received nothing but the role can always be sent again whole.)
 */
export function requestBlocker(kind: CompletionKind, body: Json): RequestBlocker | undefined {
  if (isCount(body.n) && body.n > 1) return 'n';
  if (isCount(body.best_of) && body.best_of > 1) return 'n';
  if (kind === 'chat' ? body.logprobs === true : typeof body.logprobs === 'number') return 'logprobs';
  if (body.prompt_logprobs !== undefined && body.prompt_logprobs !== null) return 'logprobs';
  if (body.echo === true) return 'echo';
  const format = body.response_format;
  if (isRecord(format) && format.type !== undefined && format.type !== 'text') return 'structured_output';
  if (STRUCTURED_FIELDS.some((f) => body[f] !== undefined && body[f] !== null)) return 'structured_output';
  if (kind === 'text' && promptText(body.prompt) === undefined) return 'prompt_shape';
  if (kind === 'chat' && (!Array.isArray(body.messages) || body.messages.length === 0)) return 'messages_shape';
  return undefined;
}

/**
 * The request that continues a partial answer on another engine: the text the client already has is
 * appended to the prompt (completions) or given as an assistant message to continue (chat, vLLM's
 * `continue_final_message` with `add_generation_prompt: false`); max_tokens, max_completion_tokens and
 * min_tokens shrink by the tokens already sent; everything else (seed, sampling, stop, stream_options)
 * is kept. With nothing sent yet, the original request is returned unchanged.
 */
export function continuationBody(kind: CompletionKind, body: Json, sentText: string, sentTokens: number): Json {
  if (sentText.length === 0 && sentTokens === 0) return body;
  const next = withLimitsLowered(body, sentTokens);
  if (kind === 'text') {
    const prompt = promptText(body.prompt);
    next.prompt = Array.isArray(body.prompt) ? [prompt + sentText] : prompt + sentText;
    return next;
  }
  next.messages = continuedMessages(body, sentText);
  next.continue_final_message = true;
  next.add_generation_prompt = false;
  return next;
}

/**
 * A completions continuation from token ids: the prompt becomes the original prompt's ids followed by
 * the ids of the answer the client has (vLLM takes a list of ids as the prompt), so the next engine
 * carries on from exactly those tokens; limits shrink as in continuationBody.
 */
export function tokenContinuationBody(body: Json, tokenPrompt: readonly number[], sentTokens: number): Json {
  return { ...withLimitsLowered(body, sentTokens), prompt: [...tokenPrompt] };
}

/**
 * The first leg's body for a streamed chat or completion on vLLM engines: with `return_token_ids`, so
 * that a break can be continued from token ids (see tokenContinuationBody, chatTokenContinuation).
 * Undefined when the request should go as it is: a client asking for token ids itself (it gets them
 * unchanged), or stop strings (vLLM holds back text that may begin one, so the text would lag the ids).
 */
export function withTokenIds(kind: CompletionKind, body: Json): Json | undefined {
  if (body.stream !== true || body.return_token_ids !== undefined) return undefined;
  if (kind === 'chat' && !Array.isArray(body.messages)) return undefined;
  if (hasStopStrings(body.stop)) return undefined;
  return { ...body, return_token_ids: true };
}

/** Chat request fields a completions request has no use for (the token-id prompt replaces them). */
const CHAT_ONLY_FIELDS = [
  'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'functions', 'function_call', 'response_format',
  'add_generation_prompt', 'continue_final_message', 'chat_template', 'chat_template_kwargs', 'documents',
  'mm_processor_kwargs', 'media_io_kwargs', 'max_completion_tokens', 'logprobs', 'top_logprobs', 'reasoning_effort',
  'include_reasoning', 'modalities', 'audio', 'prediction', 'web_search_options', 'store', 'metadata', 'echo',
];

/**
 * A chat continued from token ids, as a /v1/completions request: the chat's prompt ids (its template
 * applied by the first engine) and the answer's ids as the prompt, the same sampling, and the tokens
 * left under the client's limit (`max_tokens: null` when it set none: vLLM's completions default of
 * 16 would cut the answer short, null lets the engine fill the context as a chat does).
 */
export function chatTokenContinuation(body: Json, tokenPrompt: readonly number[], sentTokens: number): Json {
  const next: Json = { ...body };
  for (const field of CHAT_ONLY_FIELDS) delete next[field];
  const left = tokensLeft(body, sentTokens);
  next.max_tokens = left === undefined ? null : Math.max(1, left);
  if (isCount(body.min_tokens)) next.min_tokens = Math.max(0, body.min_tokens - sentTokens);
  next.prompt = [...tokenPrompt];
  return next;
}

/** The completions path beside a chat path (`/v1/chat/completions?x` → `/v1/completions?x`). */
export function completionsPathFor(chatPath: string): string {
  return chatPath.replace(/^\/v1\/chat\/completions/, '/v1/completions');
}

const hasStopStrings = (stop: unknown): boolean => (typeof stop === 'string' && stop.length > 0) || (Array.isArray(stop) && stop.length > 0);

function withLimitsLowered(body: Json, sentTokens: number): Json {
  const next: Json = { ...body };
  for (const field of ['max_tokens', 'max_completion_tokens'])
    if (isCount(body[field])) next[field] = Math.max(1, (body[field] as number) - sentTokens);
  if (isCount(body.min_tokens)) next.min_tokens = Math.max(0, body.min_tokens - sentTokens);
  return next;
}

/** Tokens left under the client's limit (max_completion_tokens, else max_tokens), or undefined without one. */
export function tokensLeft(body: Json, sentTokens: number): number | undefined {
  const limit = isCount(body.max_completion_tokens) ? body.max_completion_tokens : isCount(body.max_tokens) ? body.max_tokens : undefined;
  return limit === undefined ? undefined : limit - sentTokens;
}

function continuedMessages(body: Json, sentText: string): unknown[] {
  const messages = body.messages as unknown[];
  const last = messages[messages.length - 1];
  // The client was itself continuing an assistant message: the answer so far extends that message.
  if (body.continue_final_message === true && isRecord(last) && last.role === 'assistant') {
    const content = last.content;
    const extended = typeof content === 'string' ? content + sentText : Array.isArray(content) ? [...content, { type: 'text', text: sentText }] : sentText;
    return [...messages.slice(0, -1), { ...last, content: extended }];
  }
  return [...messages, { role: 'assistant', content: sentText }];
}

/** A completions prompt the router can extend: a string, or a list holding one string. */
function promptText(prompt: unknown): string | undefined {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  return undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
