import type { BackendKind } from '@vllm-router/common/routing-table';

/** What an engine must support to serve an endpoint (see reference/backend-profiles.py.txt). */
export type Capability =
  | 'chat'
  | 'completions'
  | 'embeddings'
  | 'tools'
  | 'responses'
  | 'messages'
  | 'tokenize'
  | 'rerank'
  | 'score'
  | 'pooling'
  | 'audio'
  | 'images';

/** A model-bearing POST endpoint the router forwards, and how its body is encoded. */
export interface ModelEndpoint {
  path: string;
  capability: Capability;
  body: 'json' | 'multipart';
}

const json = (path: string, capability: Capability): ModelEndpoint => ({ path, capability, body: 'json' });

export const MODEL_ENDPOINTS: readonly ModelEndpoint[] = [
  json('/v1/chat/completions', 'chat'),
  json('/v1/completions', 'completions'),
  json('/v1/embeddings', 'embeddings'),
  json('/v1/responses', 'responses'),
  json('/v1/messages', 'messages'),
  json('/tokenize', 'tokenize'),
  json('/detokenize', 'tokenize'),
  json('/v1/rerank', 'rerank'),
  json('/rerank', 'rerank'),
  json('/v2/rerank', 'rerank'),
  json('/v1/score', 'score'),
  json('/score', 'score'),
  json('/pooling', 'pooling'),
  json('/classify', 'pooling'),
  json('/v1/audio/speech', 'audio'),
  { path: '/v1/audio/transcriptions', capability: 'audio', body: 'multipart' },
  { path: '/v1/audio/translations', capability: 'audio', body: 'multipart' },
  json('/v1/images/generations', 'images'),
  { path: '/v1/images/edits', capability: 'images', body: 'multipart' },
];

const ALL: readonly Capability[] = ['chat', 'completions', 'embeddings', 'tools', 'responses', 'messages', 'tokenize', 'rerank', 'score', 'pooling', 'audio', 'images'];
const except = (...missing: Capability[]): ReadonlySet<Capability> => new Set(ALL.filter((c) => !missing.includes(c)));
const only = (...present: Capability[]): ReadonlySet<Capability> => new Set(present);

/**
 * What each backend kind serves. `openai` is a generic OpenAI-compatible server: we pass everything
 * through and let it answer. The rest follow each runtime's documented OpenAI surface.
 */
export const BACKEND_CAPABILITIES: Record<BackendKind, ReadonlySet<Capability>> = {
  vllm: except('images'),
  openai: except(),
  sglang: only('chat', 'completions', 'embeddings', 'tools', 'rerank', 'score', 'pooling'),
  tgi: only('chat', 'completions', 'tools'),
  llamacpp: only('chat', 'completions', 'embeddings', 'tokenize', 'rerank'),
  ollama: only('chat', 'completions', 'embeddings', 'tools'),
  localai: only('chat', 'completions', 'embeddings', 'tools', 'rerank', 'audio', 'images'),
  lmstudio: only('chat', 'completions', 'embeddings', 'tools', 'responses'),
};

export const BACKEND_DISPLAY_NAMES: Record<BackendKind, string> = {
  vllm: 'vLLM',
  openai: 'OpenAI-compatible',
  sglang: 'SGLang',
  tgi: 'Text Generation Inference',
  llamacpp: 'llama.cpp',
  ollama: 'Ollama',
  localai: 'LocalAI',
  lmstudio: 'LM Studio',
};

/** Capabilities a request needs beyond its endpoint's (a chat request with `tools` needs tool support). */
export function requiredCapabilities(endpoint: ModelEndpoint, body: Record<string, unknown> | undefined): Capability[] {
  const needs: Capability[] = [endpoint.capability];
  if (body && Array.isArray(body.tools) && body.tools.length > 0) needs.push('tools');
  return needs;
}

export function supports(kind: BackendKind, needs: readonly Capability[]): boolean {
  const caps = BACKEND_CAPABILITIES[kind];
  return needs.every((c) => caps.has(c));
}
