import type { FinishReason } from './serving-model.js';

/** OpenAI object shapes for /v1/chat/completions ('chat') and /v1/completions ('text'). */
export type CompletionKind = 'chat' | 'text';

export interface CompletionMeta {
  kind: CompletionKind;
  id: string;
  created: number;
  model: string;
  /** The engine id, so a client can tell which engine served it. */
  fingerprint: string;
  /** Name the engine on every chunk of a stream too (a test knob; vLLM does not). */
  fingerprintChunks?: boolean;
  /** stream_options.include_usage: a final chunk with usage and no choices (vLLM sends no "usage": null before it). */
  includeUsage: boolean;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function usage(promptTokens: number, completionTokens: number, cachedTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

export function completionResponse(meta: CompletionMeta, text: string, finishReason: FinishReason, u: Usage): Record<string, unknown> {
  const choice =
    meta.kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finishReason }
      : { index: 0, text, logprobs: null, finish_reason: finishReason };
  return { ...envelope(meta, false), choices: [choice], usage: u };
}

/** Chat streams open with a role-only delta, as OpenAI and vLLM do. */
export function roleChunk(meta: CompletionMeta): Record<string, unknown> {
  return chunk(meta, { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
}

/** A token's chunk; the last one carries the finish reason (and vLLM's stop_reason), as vLLM sends it. */
export function tokenChunk(meta: CompletionMeta, text: string, finishReason: FinishReason | null = null): Record<string, unknown> {
  const end = finishReason === null ? {} : { stop_reason: null };
  return chunk(
    meta,
    meta.kind === 'chat'
      ? { index: 0, delta: { content: text }, logprobs: null, finish_reason: finishReason, ...end }
      : { index: 0, text, logprobs: null, finish_reason: finishReason, ...end },
  );
}

export function finalChunk(meta: CompletionMeta, finishReason: FinishReason): Record<string, unknown> {
  return chunk(
    meta,
    meta.kind === 'chat'
      ? { index: 0, delta: {}, logprobs: null, finish_reason: finishReason }
      : { index: 0, text: '', logprobs: null, finish_reason: finishReason },
  );
}

/** vLLM names itself (system_fingerprint) only here in a stream. */
export function usageChunk(meta: CompletionMeta, u: Usage): Record<string, unknown> {
  return { ...envelope(meta, true), choices: [], usage: u, system_fingerprint: meta.fingerprint };
}

function chunk(meta: CompletionMeta, choice: Record<string, unknown>): Record<string, unknown> {
  return { ...envelope(meta, true), choices: [choice] };
}

function envelope(meta: CompletionMeta, streaming: boolean): Record<string, unknown> {
  const object = meta.kind === 'chat' ? (streaming ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';
  // vLLM sends system_fingerprint on whole responses, not on stream chunks (only the usage chunk).
  const named = !streaming || meta.fingerprintChunks === true;
  return { id: meta.id, object, created: meta.created, model: meta.model, ...(named ? { system_fingerprint: meta.fingerprint } : {}) };
}
