import {
  completionResponse,
  finalChunk,
  roleChunk,
  tokenChunk,
  usage,
  usageChunk,
  type CompletionKind,
  type CompletionMeta,
} from './completion-objects.js';
import { continuedTokens } from './continuation.js';
import type { EngineContext } from './engine-context.js';
import { simErrors } from './errors.js';
import type { Exchange } from './exchange.js';
import { resolveModel } from './models.js';
import { midStreamFault } from './options.js';
import { planOutput, type OutputPlan } from './output-plan.js';
import { finalMessageText, isRecord, renderChatPrompt, renderCompletionPrompt } from './prompt.js';
import type { GenerationRequest } from './serving-model.js';
import { SseStream } from './sse-stream.js';
import { countTokens, outputText } from './tokens.js';
import type { SchedulingPolicy } from './scheduler.js';

/** The rendered prompt, and how much of the output sequence it already holds (a continuation). */
interface PromptReading {
  prompt: string;
  promptTokens: number;
  /** Output tokens the prompt ends with, which this answer continues from. */
  continued: number;
}

/** POST /v1/chat/completions ('chat') and /v1/completions ('text'), streaming or not. */
export async function handleCompletion(kind: CompletionKind, ex: Exchange, body: Record<string, unknown>, engine: EngineContext): Promise<void> {
  const model = resolveModel(body.model, engine.models);
  const priority = requestPriority(body, engine.schedulingPolicy);
  const { prompt, promptTokens, continued } = readPrompt(kind, body, engine);
  // The model "wants" to say sampleOutputTokens() in all; a continuation says what is left of that.
  const plan = planOutput(body, Math.max(0, engine.sampleOutputTokens() - continued));
  const stream = body.stream === true;
  const meta: CompletionMeta = {
    kind,
    id: engine.nextId(kind === 'chat' ? 'chatcmpl' : 'cmpl'),
    created: Math.floor(Date.now() / 1000),
    model,
    fingerprint: engine.engineId,
    fingerprintChunks: engine.fingerprintChunks,
    includeUsage: stream && isRecord(body.stream_options) && body.stream_options.include_usage === true,
  };
  const request: GenerationRequest = {
    model,
    prompt,
    promptTokens,
    outputTokens: plan.tokens,
    firstTokenIndex: continued,
    finishReason: plan.finishReason,
    arrivedAt: ex.arrivedAt,
    priority,
  };
  // Disaggregated roles: a decode engine brings the prompt's KV cache in first (or refuses the
  // request, before any response header); a prefill engine may keep its blocks for a decode engine.
  const preloaded = await engine.kv.preload(body, request, ex.signal);
  if (preloaded > 0) request.preloadedTokens = preloaded;
  const handover: { params?: Record<string, unknown> } = {};
  if (engine.kv.exportsFor(body)) request.keepKv = (release) => (handover.params = engine.kv.export(promptTokens, release));
  if (stream) await streamCompletion(ex, engine, meta, request, plan);
  else await respondCompletion(ex, engine, meta, request, plan, handover);
}

/**
 * A prompt that ends with the first k tokens of the output sequence continues it from token k (chat with
 * `continue_final_message`; completions with continueCompletions). Those k tokens count as k prompt tokens,
 * as a real engine counts the tokens of its own earlier output, so prompt + output stays additive.
 */
function readPrompt(kind: CompletionKind, body: Record<string, unknown>, engine: EngineContext): PromptReading {
  if (kind === 'text') {
    const prompt = renderCompletionPrompt(body.prompt);
    return reading(prompt, engine.continueCompletions ? continuedTokens(prompt) : 0);
  }
  const continueFinal = body.continue_final_message === true;
  if (continueFinal && body.add_generation_prompt === true)
    throw simErrors.badRequest('Cannot set both `continue_final_message` and `add_generation_prompt` to True.', 'continue_final_message');
  const prompt = renderChatPrompt(body.messages, { continueFinalMessage: continueFinal, addGenerationPrompt: body.add_generation_prompt !== false });
  return reading(prompt, continueFinal ? continuedTokens(finalMessageText(body.messages)) : 0);
}

function reading(prompt: string, continued: number): PromptReading {
  if (continued === 0) return { prompt, promptTokens: countTokens(prompt), continued };
  const before = prompt.slice(0, prompt.length - outputText(continued).length);
  return { prompt, promptTokens: countTokens(before) + continued, continued };
}

/** vLLM's rule: `priority` must be an integer, and non-zero only under --scheduling-policy priority. */
function requestPriority(body: Record<string, unknown>, policy: SchedulingPolicy): number {
  const p = body.priority;
  if (p === undefined || p === null) return 0;
  if (typeof p !== 'number' || !Number.isInteger(p)) throw simErrors.badRequest('priority must be an integer.', 'priority');
  if (p !== 0 && policy !== 'priority') throw simErrors.badRequest('Priority scheduling is not enabled.', 'priority');
  return p;
}

async function streamCompletion(ex: Exchange, engine: EngineContext, meta: CompletionMeta, request: GenerationRequest, plan: OutputPlan): Promise<void> {
  const fault = midStreamFault(engine.failure());
  const sse = new SseStream(ex.res, fault && { ...fault, cut: ex.cut, halt: ex.halt });
  sse.open();
  // vLLM puts finish_reason on the chunk with the last token (an empty final chunk only when there was none).
  let pending: string | undefined;
  const sample = await engine.serving.generate(
    request,
    (index, text) => {
      if (index === 0 && meta.kind === 'chat') sse.send(roleChunk(meta));
      if (pending !== undefined) sse.send(tokenChunk(meta, pending));
      pending = text;
    },
    ex.signal,
  );
  sse.send(pending !== undefined ? tokenChunk(meta, pending, plan.finishReason) : finalChunk(meta, plan.finishReason));
  if (meta.includeUsage) sse.send(usageChunk(meta, usage(request.promptTokens, plan.tokens, sample.cachedTokens)));
  sse.send('[DONE]');
  sse.end();
}

async function respondCompletion(
  ex: Exchange,
  engine: EngineContext,
  meta: CompletionMeta,
  request: GenerationRequest,
  plan: OutputPlan,
  handover: { params?: Record<string, unknown> },
): Promise<void> {
  const fault = midStreamFault(engine.failure());
  if (fault?.mode === 'error-event') {
    // vLLM answers a non-streamed generation that fails with a 500 in its error shape.
    throw simErrors.injected();
  }
  let text = '';
  const sample = await engine.serving.generate(request, (_index, token) => (text += token), ex.signal);
  const response = completionResponse(meta, text, plan.finishReason, usage(request.promptTokens, plan.tokens, sample.cachedTokens));
  const payload = JSON.stringify(handover.params ? { ...response, kv_transfer_params: handover.params } : response);
  ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  if (fault === null) {
    ex.res.end(payload);
    return;
  }
  // The engine dies after the head: half the body arrives, then the connection breaks (reset or FIN) or stalls.
  ex.res.write(payload.slice(0, Math.floor(payload.length / 2)), () => {
    if (fault.mode === 'reset') return ex.cut();
    ex.halt();
    if (fault.mode === 'fin') ex.res.socket?.end();
  });
}
