import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineReport } from './engine-report.js';

type Pick = (r: EngineReport) => number | null;

/**
 * Per-engine statistics as Prometheus series labelled `server` (the engine URL), computed when
 * /metrics is scraped, so the request path pays nothing for them. Names are the reference router's
 * where the meaning matches (Grafana dashboards keep working); `vllm_router_*` are ours. Engines
 * that leave the table disappear from the next scrape.
 */
const GAUGES: Array<[name: string, help: string, value: Pick]> = [
  ['vllm:current_qps', 'Requests per second sent to the engine over the stats window.', (r) => r.requests.qps],
  ['vllm:avg_latency', 'Average end-to-end latency of requests to the engine over the stats window, seconds.', (r) => r.requests.avg_latency],
  ['vllm:avg_itl', 'Average inter-token latency of streamed responses over the stats window, seconds.', (r) => r.requests.avg_itl],
  ['vllm:avg_decoding_length', 'Average completion tokens per request over the stats window.', (r) => r.requests.avg_decoding_length],
  ['vllm:num_prefill_requests', 'Requests in flight to the engine with no response body yet (queued or prefilling).', (r) => r.requests.prefilling],
  ['vllm:num_decoding_requests', 'Requests in flight to the engine that are streaming their answer.', (r) => r.requests.decoding],
  ['vllm:gpu_prefix_cache_hit_rate', 'Prefix-cache hit rate the engine reported over the last scrape interval.', (r) => r.engine.prefix_cache_hit_rate],
  ['vllm:healthy_pods_total', '1 when the engine is ready and passes health checks, else 0.', (r) => (r.healthy ? 1 : 0)],
  ['vllm_router_avg_ttft_seconds', 'Average time to first token through the router over the stats window, seconds.', (r) => r.requests.avg_ttft],
  ['vllm_router_engine_queue_depth', 'Requests waiting at the engine (scraped from its /metrics).', (r) => r.engine.waiting],
  ['vllm_router_engine_kv_cache_usage', 'KV-cache usage the engine reported, 0..1 (scraped).', (r) => r.engine.kv_cache_usage],
  ['vllm_router_engine_metrics_stale', '1 when the engine\'s /metrics could not be read on the last scrape.', (r) => (r.engine.stale ? 1 : 0)],
];

const COUNTERS: Array<[name: string, help: string, value: (r: EngineReport) => number]> = [
  ['vllm:input_tokens_total', 'Prompt tokens of requests to the engine (from response usage).', (r) => r.requests.lifetime.prompt_tokens],
  ['vllm:output_tokens_total', 'Completion tokens of requests to the engine (from response usage).', (r) => r.requests.lifetime.completion_tokens],
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
  for (const [name, help, value] of COUNTERS) {
    registry.removeSingleMetric(name);
    new Counter({
      name,
      help,
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of reports()) {
          // A counter refuses non-finite or negative values by throwing, which would fail every scrape.
          const v = value(r);
          if (Number.isFinite(v) && v >= 0) this.inc({ server: r.url }, v);
        }
      },
    });
  }
}
