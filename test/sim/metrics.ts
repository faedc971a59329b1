import { PromText } from './prom-text.js';
import type { ServingModel } from './serving-model.js';

export type MetricsFlavor = 'vllm' | 'sglang';

export interface MetricsContext {
  flavor: MetricsFlavor;
  /** Like vLLM, every series is labeled with the first served model name. */
  modelName: string;
  serving: ServingModel;
  blockSize: number;
  numGpuBlocks: number;
}

export function renderMetrics(ctx: MetricsContext): string {
  return ctx.flavor === 'sglang' ? renderSglang(ctx) : renderVllm(ctx);
}

function renderVllm({ modelName, serving, blockSize, numGpuBlocks }: MetricsContext): string {
  const s = serving.snapshot();
  // vLLM (0.32) labels every series with its engine index and the first served name.
  const m = { engine: '0', model_name: modelName };
  return new PromText()
    .gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', [[m, s.running]])
    .gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', [[m, s.waiting]])
    .gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', [[m, s.kvUsage]])
    .counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', [[m, s.prefixCacheQueries]])
    .counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', [[m, s.prefixCacheHits]])
    .gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig.', [
      [{ block_size: String(blockSize), enable_prefix_caching: 'True', engine: '0', num_gpu_blocks: String(numGpuBlocks) }, 1],
    ])
    .counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', [[m, s.promptTokens]])
    .counter('vllm:generation_tokens_total', 'Number of generation tokens processed.', [[m, s.generationTokens]])
    .counter(
      'vllm:request_success_total',
      'Count of successfully processed requests.',
      (['stop', 'length', 'abort'] as const).map((reason) => [{ finished_reason: reason, ...m }, s.finished[reason]]),
    )
    .histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', m, serving.ttftHistogram)
    .histogram('vllm:e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', m, serving.e2eHistogram)
    .toString();
}

/** SGLang's names. cache_hit_rate is cumulative here (hit tokens / queried tokens since start). */
function renderSglang({ modelName, serving }: MetricsContext): string {
  const s = serving.snapshot();
  const m = { model_name: modelName };
  const hitRate = s.prefixCacheQueries === 0 ? 0 : s.prefixCacheHits / s.prefixCacheQueries;
  return new PromText()
    .gauge('sglang:num_running_reqs', 'The number of running requests.', [[m, s.running]])
    .gauge('sglang:num_queue_reqs', 'The number of requests in the waiting queue.', [[m, s.waiting]])
    .gauge('sglang:token_usage', 'The token usage.', [[m, s.kvUsage]])
    .gauge('sglang:cache_hit_rate', 'The prefix cache hit rate.', [[m, hitRate]])
    .counter('sglang:prompt_tokens_total', 'Number of prefill tokens processed.', [[m, s.promptTokens]])
    .counter('sglang:generation_tokens_total', 'Number of generation tokens processed.', [[m, s.generationTokens]])
    .histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', m, serving.ttftHistogram)
    .toString();
}
