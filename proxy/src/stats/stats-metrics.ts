import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineReport } from './engine-report.js';

type Value = (r: EngineReport) => number | null;

/** The reference reports -1 for request averages it has no data for, and 0 for engine figures. */
const NO_AVERAGE = -1;
const orNoAverage = (v: number | null) => v ?? NO_AVERAGE;

/**
 * Per-engine statistics as Prometheus series labelled `server` (the engine URL), computed when
 * /metrics is scraped, so the request path pays nothing for them. Names, types and labels are the
 * reference router's where it has the series (its Grafana dashboard and prometheus-adapter rules
 * keep working; see test/compat/reference-metrics.ts); `vllm_router_*` are ours. Engines that
 * leave the table disappear from the next scrape. A `null` value leaves the engine out.
 */
const GAUGES: Array<[name: string, help: string, value: Value]> = [
  ['vllm:current_qps', 'Requests per second sent to the engine over the stats window.', (r) => r.requests.qps],
  ['vllm:avg_latency', 'Average end-to-end latency of requests to the engine over the stats window, seconds (-1: none finished).', (r) => orNoAverage(r.requests.avg_latency)],
  ['vllm:avg_itl', 'Average inter-token latency of streamed responses over the stats window, seconds (-1: none measured).', (r) => orNoAverage(r.requests.avg_itl)],
  ['vllm:avg_decoding_length', 'Average completion tokens per request over the stats window (-1: none reported usage).', (r) => orNoAverage(r.requests.avg_decoding_length)],
  ['vllm:num_prefill_requests', 'Requests in flight to the engine with no response body yet (queued or prefilling).', (r) => r.requests.prefilling],
  ['vllm:num_decoding_requests', 'Requests in flight to the engine that are streaming their answer.', (r) => r.requests.decoding],
  ['vllm:num_requests_swapped', 'Requests swapped out to CPU (always 0: vLLM V1 preempts instead of swapping; kept for dashboards).', () => 0],
  ['vllm:gpu_prefix_cache_hit_rate', 'Prefix-cache hit rate the engine reported over the last scrape interval (0: unknown).', (r) => r.engine.prefix_cache_hit_rate ?? 0],
  ['vllm:gpu_prefix_cache_hits_total', 'Prefix-cache hits (tokens) the engine reported, cumulative (0: unknown).', (r) => r.engine.prefix_cache_hits ?? 0],
  ['vllm:gpu_prefix_cache_queries_total', 'Prefix-cache queries (tokens) the engine reported, cumulative (0: unknown).', (r) => r.engine.prefix_cache_queries ?? 0],
  ['vllm:healthy_pods_total', '1 when the engine is ready and passes health checks, else 0.', (r) => (r.healthy ? 1 : 0)],
  ['vllm_router_avg_ttft_seconds', 'Average time to first token through the router over the stats window, seconds.', (r) => r.requests.avg_ttft],
  ['vllm_router_engine_queue_depth', 'Requests waiting at the engine (scraped from its /metrics).', (r) => r.engine.waiting],
  ['vllm_router_engine_kv_cache_usage', 'KV-cache usage the engine reported, 0..1 (scraped).', (r) => r.engine.kv_cache_usage],
  ['vllm_router_engine_metrics_stale', '1 when the engine\'s /metrics could not be read on the last scrape.', (r) => (r.engine.stale ? 1 : 0)],
  ['vllm_router_engine_client_errors', 'Requests the engine refused with a 4xx answer over the stats window.', (r) => r.requests.client_errors],
  ['vllm_router_engine_errors', 'Requests that failed at the engine (5xx, unreachable, timed out, cut) over the stats window.', (r) => r.requests.errors],
];

/** Per (server, model): the reference's token counters. */
const TOKEN_COUNTERS: Array<[name: string, help: string, pick: 'prompt_tokens' | 'completion_tokens']> = [
  ['vllm:input_tokens_total', 'Prompt tokens of requests to the engine, per model (from response usage, streamed or not).', 'prompt_tokens'],
  ['vllm:output_tokens_total', 'Completion tokens of requests to the engine, per model (from response usage, streamed or not).', 'completion_tokens'],
];

export function registerStatsMetrics(registry: Registry, reports: () => EngineReport[]): void {
  for (const [name, help, value] of GAUGES) {
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of reports()) {
          const v = value(r);
          if (v !== null) this.set({ server: r.url }, v);
        }
      },
    });
  }
  // Declared with no series, exactly as the reference router exports it: the engines' own
  // vllm:num_requests_waiting is the one to scale on, and a router copy would be counted twice by
  // sums such as its prometheus-adapter rule. The queue depth the router sees is vllm_router_engine_queue_depth.
  registry.removeSingleMetric('vllm:num_requests_waiting');
  new Gauge({ name: 'vllm:num_requests_waiting', help: 'Number of waiting requests (never set, as in the reference router: engines export their own).', labelNames: ['server'], registers: [registry] });

  for (const [name, help, pick] of TOKEN_COUNTERS) {
    registry.removeSingleMetric(name);
    new Counter({
      name,
      help,
      labelNames: ['server', 'model'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of reports())
          for (const m of r.requests.lifetime.by_model) {
            // A counter refuses non-finite or negative values by throwing, which would fail every scrape.
            const v = m[pick];
            if (Number.isFinite(v) && v > 0) this.inc({ server: r.url, model: m.model }, v);
          }
      },
    });
  }
}
