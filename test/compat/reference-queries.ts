/**
 * The PromQL the reference's users run against the router, written from its Grafana dashboard
 * (helm/dashboards/vllm-dashboard.json, router panels), its prometheus-adapter rules
 * (observability/prom-adapter.yaml) and its KEDA guide (docs/source/use_cases/autoscaling-keda.rst).
 * Queries of engine metrics (vllm:e2e_request_latency_seconds, vllm:kv_cache_usage_perc, ...) are
 * answered by the engines' own /metrics and are not listed. Labels such as `endpoint` come from the
 * Prometheus target (ServiceMonitor), not from the exporter.
 */
export interface ReferenceQuery {
  where: string;
  expr: string;
  /** The router series the query reads. */
  reads: readonly string[];
}

export const REFERENCE_QUERIES: readonly ReferenceQuery[] = [
  { where: 'dashboard: Available vLLM instances', expr: 'sum(max by (server) (vllm:healthy_pods_total))', reads: ['vllm:healthy_pods_total'] },
  { where: 'dashboard: Current QPS', expr: 'vllm:current_qps', reads: ['vllm:current_qps'] },
  { where: 'dashboard: Number of Running Requests', expr: 'vllm:num_requests_running', reads: ['vllm:num_requests_running'] },
  { where: 'dashboard: GPU KV Cache Hit Rate', expr: 'vllm:gpu_prefix_cache_hits_total{endpoint="service-port"} / vllm:gpu_prefix_cache_queries_total', reads: ['vllm:gpu_prefix_cache_hits_total', 'vllm:gpu_prefix_cache_queries_total'] },
  { where: 'dashboard: CPU Usage (%)', expr: 'router_cpu_usage_percent', reads: ['router_cpu_usage_percent'] },
  { where: 'dashboard: Memory Usage (%)', expr: 'router_memory_usage_percent', reads: ['router_memory_usage_percent'] },
  { where: 'dashboard: Disk Usage (%)', expr: 'router_disk_usage_percent', reads: ['router_disk_usage_percent'] },
  { where: 'prometheus-adapter: vllm_num_incoming_requests_total', expr: 'sum by(namespace, model) (vllm:num_incoming_requests_total)', reads: ['vllm:num_incoming_requests_total'] },
  { where: 'KEDA: scale from zero', expr: 'sum(rate(vllm:num_incoming_requests_total[1m]) > bool 0)', reads: ['vllm:num_incoming_requests_total'] },
];

/** Labels a query may use that Prometheus adds from the scrape target. */
export const TARGET_LABELS = new Set(['endpoint', 'namespace', 'pod', 'service', 'job', 'instance', 'container']);
