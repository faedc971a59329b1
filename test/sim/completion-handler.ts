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
import { simErrors } from './errors.js';
import type { SchedulingPolicy } from './scheduler.js';

/** POST /v1/chat/completions ('chat') and /v1/completions ('text'), streaming or not. */
export async function handleCompletion(kind: CompletionKind, ex: Exchange, body: Record<string, unknown>, engine: EngineContext): Promise<void> {
  const model = resolveModel(body.model, engine.models);
  const priority = requestPriority(body, engine.schedulingPolicy);
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
    priority,
  };
  if (stream) await streamCompletion(ex, engine, meta, request, plan);
  else await respondCompletion(ex, engine, meta, request, plan);
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
  const sse = new SseStream(ex.res, engine.failure().resetMidStream, ex.cut);
  sse.open();
  const sample = await engine.serving.generate(
    request,
    (index, text) => {
      if (index === 0 && meta.kind === 'chat') sse.send(roleChunk(meta));
      sse.send(tokenChunk(meta, text));
    },
    ex.signal,
  );
  sse.send(finalChunk(meta, plan.finishReason));
  if (meta.includeUsage) sse.send(usageChunk(meta, usage(request.promptTokens, plan.tokens, sample.cachedTokens)));
  sse.send('[DONE]');
  sse.end();
}

async function respondCompletion(ex: Exchange, engine: EngineContext, meta: CompletionMeta, request: GenerationRequest, plan: OutputPlan): Promise<void> {
  let text = '';
  const sample = await engine.serving.generate(request, (_index, token) => (text += token), ex.signal);
  const payload = JSON.stringify(
    completionResponse(meta, text, plan.finishReason, usage(request.promptTokens, plan.tokens, sample.cachedTokens)),
  );
  ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  if (engine.failure().resetMidStream === null) {
    ex.res.end(payload);
    return;
  }
  // Mid-response reset without streaming: half the body arrives, then the connection dies.
  ex.res.write(payload.slice(0, Math.floor(payload.length / 2)), () => ex.cut());
}
