/** vllm-engine-sim: an OpenAI-compatible LLM engine simulator for tests, demos and benchmarks. */
export { startEngineSim, type EngineSim, type EngineSimStats } from './server.js';
export type { EngineSimOptions, FailureInjection, MetricsFlavor } from './options.js';
export type { RecordedRequest, InjectedFailures } from './http-stats.js';
export type { TtftSample, FinishReason } from './serving-model.js';
export { countTokens, outputText, CHARS_PER_TOKEN } from './tokens.js';
export { embeddingVector } from './embeddings.js';
export { relevance } from './scoring.js';
export { renderChatPrompt, renderCompletionPrompt } from './prompt.js';
