import { parsePrometheusText, type PromSample } from './prom-parser.js';

export type EngineMetricsFlavor = 'vllm' | 'sglang' | 'unknown';

/** What the router reads from one engine's /metrics. Fields the engine does not export stay undefined. */
export interface EngineMetrics {
  flavor: EngineMetricsFlavor;
  /** Requests the engine is running now. */
  running?: number;
  /** Requests queued at the engine. */
  waiting?: number;
  /** KV-cache blocks in use by running requests, 0..1. */
  kvUsage?: number;
  /** Cumulative prompt tokens looked up in the prefix cache, and those found (vLLM counters). */
  prefixCacheQueries?: number;
  prefixCacheHits?: number;
  /** An engine-computed hit rate (SGLang's gauge, or vLLM v0's), 0..1. */
  prefixCacheHitRate?: number;
  /** From vllm:cache_config_info / sglang:cache_config_info labels. */
  blockSize?: number;
  numGpuBlocks?: number;
}

/** The families we read; everything else (histograms in particular) is skipped while parsing. */
const WANTED = new Set([
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:kv_cache_usage_perc',
  'vllm:gpu_cache_usage_perc',
  'vllm:prefix_cache_queries_total',
  'vllm:prefix_cache_hits_total',
  'vllm:gpu_prefix_cache_queries_total',
  'vllm:gpu_prefix_cache_hits_total',
  'vllm:gpu_prefix_cache_hit_rate',
  'vllm:cache_config_info',
  'sglang:num_running_reqs',
  'sglang:num_queue_reqs',
  'sglang:token_usage',
  'sglang:cache_hit_rate',
  'sglang:cache_config_info',
]);

/** Parse an engine's /metrics text into the signals the router uses. */
export function parseEngineMetrics(text: string): EngineMetrics {
  return readEngineMetrics(parsePrometheusText(text, (name) => WANTED.has(name)).samples);
}

/**
 * vLLM and SGLang name the same things differently; an engine serving several models (or LoRA
 * adapters) may export one series per model, which are summed (counts) or maxed (usage).
 */
export function readEngineMetrics(samples: readonly PromSample[]): EngineMetrics {
  const byName = new Map<string, PromSample[]>();
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const sum = (name: string) => {
    const list = byName.get(name);
    return list ? list.reduce((acc, s) => acc + s.value, 0) : undefined;
  };
  const max = (name: string) => {
    const list = byName.get(name);
    return list ? Math.max(...list.map((s) => s.value)) : undefined;
  };
  const isVllm = [...byName.keys()].some((n) => n.startsWith('vllm:'));
  const isSglang = [...byName.keys()].some((n) => n.startsWith('sglang:'));

  const out: EngineMetrics = { flavor: isVllm ? 'vllm' : isSglang ? 'sglang' : 'unknown' };
  const set = <K extends keyof EngineMetrics>(key: K, value: EngineMetrics[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  if (isVllm) {
    set('running', sum('vllm:num_requests_running'));
    set('waiting', sum('vllm:num_requests_waiting'));
    set('kvUsage', clamp01(max('vllm:kv_cache_usage_perc') ?? max('vllm:gpu_cache_usage_perc')));
    set('prefixCacheQueries', sum('vllm:prefix_cache_queries_total') ?? sum('vllm:gpu_prefix_cache_queries_total'));
    set('prefixCacheHits', sum('vllm:prefix_cache_hits_total') ?? sum('vllm:gpu_prefix_cache_hits_total'));
    set('prefixCacheHitRate', clamp01(max('vllm:gpu_prefix_cache_hit_rate')));
    readCacheConfig(byName.get('vllm:cache_config_info'), out);
  } else if (isSglang) {
    set('running', sum('sglang:num_running_reqs'));
    set('waiting', sum('sglang:num_queue_reqs'));
    set('kvUsage', clamp01(max('sglang:token_usage')));
    set('prefixCacheHitRate', clamp01(max('sglang:cache_hit_rate')));
    readCacheConfig(byName.get('sglang:cache_config_info'), out);
  }
  return out;
}

function readCacheConfig(info: PromSample[] | undefined, out: EngineMetrics): void {
  const labels = info?.[0]?.labels;
  if (!labels) return;
  const blockSize = Number(labels.block_size ?? labels.page_size ?? 1);
  // SGLang states its capacity in tokens; vLLM in blocks.
  const blocks = labels.num_gpu_blocks !== undefined ? Number(labels.num_gpu_blocks) : Number(labels.max_total_num_tokens) / blockSize;
  if (Number.isFinite(blockSize) && blockSize > 0) out.blockSize = blockSize;
  if (Number.isFinite(blocks) && blocks > 0) out.numGpuBlocks = blocks;
}

function clamp01(v: number | undefined): number | undefined {
  return v === undefined ? undefined : Math.min(1, Math.max(0, v));
}
