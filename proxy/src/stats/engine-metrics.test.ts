import { describe, expect, it } from '@jest/globals';
import { parseEngineMetrics } from './engine-metrics.js';

const VLLM = `
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="llama"} 3.0
vllm:num_requests_waiting{model_name="llama"} 5.0
vllm:kv_cache_usage_perc{model_name="llama"} 0.42
vllm:prefix_cache_queries_total{model_name="llama"} 1000.0
vllm:prefix_cache_hits_total{model_name="llama"} 750.0
vllm:cache_config_info{block_size="16",cache_dtype="auto",num_gpu_blocks="2048"} 1.0
vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="llama"} 4.0
`;

describe('reading engine metrics', () => {
  it('understands vLLM: running, waiting, KV use, prefix-cache counters and cache config', () => {
    expect(parseEngineMetrics(VLLM)).toEqual({
      flavor: 'vllm',
      running: 3,
      waiting: 5,
      kvUsage: 0.42,
      prefixCacheQueries: 1000,
      prefixCacheHits: 750,
      blockSize: 16,
      numGpuBlocks: 2048,
    });
  });

  it('falls back to the older vLLM names', () => {
    const m = parseEngineMetrics('vllm:gpu_cache_usage_perc{model_name="m"} 0.9\nvllm:num_requests_running{model_name="m"} 1\nvllm:gpu_prefix_cache_hit_rate{model_name="m"} 0.25');
    expect(m).toMatchObject({ flavor: 'vllm', kvUsage: 0.9, running: 1, prefixCacheHitRate: 0.25 });
  });

  it('sums the per-model series of an engine serving several models', () => {
    const m = parseEngineMetrics('vllm:num_requests_waiting{model_name="a"} 2\nvllm:num_requests_waiting{model_name="b"} 3');
    expect(m.waiting).toBe(5);
  });

  it('understands SGLang: running and queued requests, token usage, hit rate', () => {
    const m = parseEngineMetrics(
      'sglang:num_running_reqs{model_name="m"} 7\nsglang:num_queue_reqs{model_name="m"} 2\nsglang:token_usage{model_name="m"} 0.5\nsglang:cache_hit_rate{model_name="m"} 0.8',
    );
    expect(m).toEqual({ flavor: 'sglang', running: 7, waiting: 2, kvUsage: 0.5, prefixCacheHitRate: 0.8 });
  });

  it('reports an unknown flavor for metrics that are neither, and ignores NaN values', () => {
    expect(parseEngineMetrics('process_cpu_seconds_total 12')).toEqual({ flavor: 'unknown' });
    expect(parseEngineMetrics('vllm:num_requests_running{model_name="m"} NaN').running).toBeUndefined();
  });

  it('clamps usage into [0, 1]', () => {
    expect(parseEngineMetrics('vllm:kv_cache_usage_perc 1.7').kvUsage).toBe(1);
  });
});
