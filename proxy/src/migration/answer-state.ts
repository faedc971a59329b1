/** Chat (`/v1/chat/completions`) or text (`/v1/completions`) answers. */
export type CompletionKind = 'chat' | 'text';

export type Json = Record<string, unknown>;

export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What every chunk of one answer carries, taken from the first chunk the client received. */
export interface AnswerHeader {
  id: unknown;
  created: unknown;
  model: unknown;
  object: unknown;
}

/** Why what the client already has cannot be continued on another engine. */
export type StreamBlocker = 'n' | 'tool_calls' | 'reasoning' | 'logprobs' | 'unparsed_event';

/** True for vLLM's (and SGLang's) mid-stream error event: `{"error": {...}}` (older vLLM: `{"object": "error", ...}`). */
export function isErrorEvent(chunk: Json): boolean {
  return isRecord(chunk.error) || chunk.object === 'error';
}

/**
 * What the client has received of one streamed answer so far, over every engine that served part of
 * it: the text (to build the continuation), how many tokens that was (to reduce max_tokens), the
 * answer's id and created, and anything that makes the answer impossible to continue faithfully.
 */
export class AnswerState {
  header: AnswerHeader | undefined;
  /** The original prompt's token count, when an engine reported usage on the first leg. */
  promptTokens: number | undefined;
  roleSent = false;
  finishReason: string | undefined;
  usageSent = false;
  doneSent = false;
  blocked: StreamBlocker | undefined;
  private readonly parts: string[] = [];
  private textLength = 0;
  private tokensBeforeLeg = 0;
  private legChunks = 0;
  private legUsageTokens = 0;
  private leg = 0;
  /** The prompt's token ids, from the first leg's first chunk (vLLM's `return_token_ids`). */
  private promptIds: number[] | undefined;
  /** The answer's token ids whose text the client has (through the last chunk with text). */
  private readonly answerIds: number[] = [];
  /** Ids of chunks with no text yet (vLLM holds back an incomplete character): not the client's yet. */
  private pendingIds: number[] = [];
  /** Every chunk with text so far carried its token ids. */
  private idsComplete = true;

  constructor(private readonly kind: CompletionKind) {}

  get text(): string {
    if (this.parts.length > 1) this.parts.splice(0, this.parts.length, this.parts.join(''));
    return this.parts[0] ?? '';
  }

  get contentSent(): boolean {
    return this.textLength > 0;
  }

  /**
   * Tokens the client has received. Per leg: the engine's own count when it reports usage on each chunk
   * (vLLM's `continuous_usage_stats`), else one per content chunk (vLLM streams one token per chunk
   * unless started with a larger --stream-interval).
   */
  get tokens(): number {
    if (this.idsComplete && this.promptIds) return this.answerIds.length;
    return this.tokensBeforeLeg + Math.max(this.legChunks, this.legUsageTokens);
  }

  /**
   * The prompt and the answer the client has, as token ids, when every chunk carried them: a
   * continuation from these is exact, where one from the text would be tokenized again (and may come
   * out as other tokens, so even a greedy answer would part from an uninterrupted one).
   */
  get tokenPrompt(): number[] | undefined {
    return this.idsComplete && this.promptIds ? [...this.promptIds, ...this.answerIds] : undefined;
  }

  /** Tokens sent before the current leg (what the current engine's usage does not include). */
  get tokensBeforeCurrentLeg(): number {
    return this.tokensBeforeLeg;
  }

  /** Another engine takes over from here. */
  beginLeg(): void {
    this.tokensBeforeLeg = this.tokens;
    // Held-back tokens are not the client's: the next engine produces them again.
    this.pendingIds = [];
    this.legChunks = 0;
    this.legUsageTokens = 0;
    this.leg++;
  }

  /** Record one chunk as the engine sent it (before any rewriting). */
  observe(chunk: Json): void {
    if (!this.header && (chunk.id !== undefined || chunk.created !== undefined))
      this.header = { id: chunk.id, created: chunk.created, model: chunk.model, object: chunk.object };
    // A chat's prompt ids come on its first chunk, a completion's on its first choice.
    if (this.leg === 0 && this.promptIds === undefined && isTokenIds(chunk.prompt_token_ids)) this.promptIds = chunk.prompt_token_ids;
    if (Array.isArray(chunk.choices)) for (const choice of chunk.choices) this.observeChoice(choice);
    const usage = chunk.usage;
    if (isRecord(usage)) {
      if (typeof usage.completion_tokens === 'number') this.legUsageTokens = Math.max(this.legUsageTokens, usage.completion_tokens);
      if (this.leg === 0 && typeof usage.prompt_tokens === 'number') this.promptTokens = usage.prompt_tokens;
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) this.usageSent = true;
    }
  }

  private observeChoice(choice: unknown): void {
    if (!isRecord(choice)) return;
    if (choice.index !== undefined && choice.index !== 0) this.block('n');
    if (choice.logprobs !== undefined && choice.logprobs !== null) this.block('logprobs');
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    let content: unknown;
    if (this.kind === 'chat') {
      const delta = choice.delta;
      if (!isRecord(delta)) return;
      if (typeof delta.role === 'string') this.roleSent = true;
      if ((Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) || isRecord(delta.function_call)) this.block('tool_calls');
      if (nonEmpty(delta.reasoning_content) || nonEmpty(delta.reasoning)) this.block('reasoning');
      content = delta.content;
    } else content = choice.text;
    this.observeTokenIds(choice, typeof content === 'string' && content.length > 0);
    if (typeof content === 'string' && content.length > 0) {
      this.parts.push(content);
      this.textLength += content.length;
      this.legChunks++;
    }
  }

  private observeTokenIds(choice: Json, hasText: boolean): void {
    if (this.leg === 0 && this.promptIds === undefined && isTokenIds(choice.prompt_token_ids)) this.promptIds = choice.prompt_token_ids;
    const ids = choice.token_ids;
    if (isTokenIds(ids)) this.pendingIds.push(...ids);
    else if (hasText) this.idsComplete = false;
    if (hasText && this.pendingIds.length > 0) {
      this.answerIds.push(...this.pendingIds);
      this.pendingIds = [];
    }
  }

  block(reason: StreamBlocker): void {
    this.blocked ??= reason;
  }
}

const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

const isTokenIds = (v: unknown): v is number[] => Array.isArray(v) && v.every((id) => Number.isInteger(id) && (id as number) >= 0);
