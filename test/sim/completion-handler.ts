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
import type { EngineContext } from './engine-context.js';
import type { Exchange } from './exchange.js';
import { resolveModel } from './models.js';
import { planOutput, type OutputPlan } from './output-plan.js';
import { isRecord, renderChatPrompt, renderCompletionPrompt } from './prompt.js';
import type { GenerationRequest } from './serving-model.js';
import { SseStream } from './sse-stream.js';
import { countTokens } from './tokens.js';

/** POST /v1/chat/completions ('chat') and /v1/completions ('text'), streaming or not. */
export async function handleCompletion(kind: CompletionKind, ex: Exchange, body: Record<string, unknown>, engine: EngineContext): Promise<void> {
  const model = resolveModel(body.model, engine.models);
  const prompt = kind === 'chat' ? renderChatPrompt(body.messages) : renderCompletionPrompt(body.prompt);
  const promptTokens = countTokens(prompt);
  const plan = planOutput(body, engine.sampleOutputTokens());
  const stream = body.stream === true;
  const meta: CompletionMeta = {
    kind,
    id: engine.nextId(kind === 'chat' ? 'chatcmpl' : 'cmpl'),
    created: Math.floor(Date.now() / 1000),
    model,
    fingerprint: engine.engineId,
    includeUsage: stream && isRecord(body.stream_options) && body.stream_options.include_usage === true,
  };
  const request: GenerationRequest = {
    model,
    prompt,
    promptTokens,
    outputTokens: plan.tokens,
    finishReason: plan.finishReason,
    arrivedAt: ex.arrivedAt,
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

async function streamCompletion(ex: Exchange, engine: EngineContext, meta: CompletionMeta, request: GenerationRequest, plan: OutputPlan): Promise<void> {
  const sse = new SseStream(ex.res, engine.failure().resetMidStream, ex.cut);
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
  let text = '';
  const sample = await engine.serving.generate(request, (_index, token) => (text += token), ex.signal);
  const response = completionResponse(meta, text, plan.finishReason, usage(request.promptTokens, plan.tokens, sample.cachedTokens));
  const payload = JSON.stringify(handover.params ? { ...response, kv_transfer_params: handover.params } : response);
  ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  if (engine.failure().resetMidStream === null) {
    ex.res.end(payload);
    return;
  }
  // Mid-response reset without streaming: half the body arrives, then the connection dies.
  ex.res.write(payload.slice(0, Math.floor(payload.length / 2)), () => ex.cut());
}
