/**
 * What a Prometheus scrape of the reference router (vLLM production-stack, src/vllm_router) shows,
 * written from its source: services/metrics_service/__init__.py, routers/metrics_router.py and
 * prometheus_client's default collectors. prometheus_client names a Counter's series `<name>_total`
 * (it appends the suffix), so counters are listed as a scrape shows them.
 */
export interface ReferenceMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: readonly string[];
  /** Declared but never set by the reference: the scrape shows HELP and TYPE with no series. */
  neverSet?: true;
}

const server = ['server'] as const;

export const REFERENCE_METRICS: readonly ReferenceMetric[] = [
  // services/metrics_service/__init__.py
  { name: 'vllm:num_requests_running', type: 'gauge', labels: server },
  { name: 'vllm:num_requests_waiting', type: 'gauge', labels: server, neverSet: true },
  { name: 'vllm:gpu_prefix_cache_hit_rate', type: 'gauge', labels: server },
  { name: 'vllm:gpu_prefix_cache_hits_total', type: 'gauge', labels: server },
  { name: 'vllm:gpu_prefix_cache_queries_total', type: 'gauge', labels: server },
  { name: 'vllm:current_qps', type: 'gauge', labels: server },
  { name: 'vllm:avg_decoding_length', type: 'gauge', labels: server },
  { name: 'vllm:num_prefill_requests', type: 'gauge', labels: server },
  { name: 'vllm:num_decoding_requests', type: 'gauge', labels: server },
  { name: 'vllm:num_incoming_requests_total', type: 'counter', labels: ['model'] },
  { name: 'vllm:healthy_pods_total', type: 'gauge', labels: server },
  { name: 'vllm:avg_latency', type: 'gauge', labels: server },
  { name: 'vllm:avg_itl', type: 'gauge', labels: server },
  { name: 'vllm:num_requests_swapped', type: 'gauge', labels: server },
  { name: 'vllm:input_tokens_total', type: 'counter', labels: ['server', 'model'] },
  { name: 'vllm:output_tokens_total', type: 'counter', labels: ['server', 'model'] },
  { name: 'vllm:request_errors_total', type: 'counter', labels: ['server', 'model', 'error_type'] },
  { name: 'vllm:request_latency_seconds', type: 'histogram', labels: ['server', 'model', 'status'] },
  // routers/metrics_router.py (psutil)
  { name: 'router_cpu_usage_percent', type: 'gauge', labels: [] },
  { name: 'router_memory_usage_percent', type: 'gauge', labels: [] },
  { name: 'router_disk_usage_percent', type: 'gauge', labels: [] },
  // prometheus_client's process collector (Linux)
  { name: 'process_cpu_seconds_total', type: 'counter', labels: [] },
  { name: 'process_start_time_seconds', type: 'gauge', labels: [] },
  { name: 'process_resident_memory_bytes', type: 'gauge', labels: [] },
  { name: 'process_virtual_memory_bytes', type: 'gauge', labels: [] },
  { name: 'process_open_fds', type: 'gauge', labels: [] },
  { name: 'process_max_fds', type: 'gauge', labels: [] },
];

/** vllm:request_latency_seconds: the reference's buckets and its status values. */
export const REFERENCE_LATENCY_BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '+Inf'];
export const REFERENCE_LATENCY_STATUSES = ['success', 'error'];

/**
 * In a scrape of the reference but deliberately not exported here, with the reason (also in the
 * README's "Switching from production-stack").
 */
export const NOT_EXPORTED: ReadonlyArray<{ names: readonly string[]; reason: string }> = [
  {
    names: ['python_gc_objects_collected_total', 'python_gc_objects_uncollectable_total', 'python_gc_collections_total', 'python_info'],
    reason: 'Python runtime metrics of prometheus_client; the Node runtime\'s are exported as vllm_router_nodejs_*',
  },
  {
    names: ['vllm:num_incoming_requests_created', 'vllm:input_tokens_created', 'vllm:output_tokens_created', 'vllm:request_errors_created', 'vllm:request_latency_seconds_created'],
    reason: 'prometheus_client\'s per-series creation timestamps (off with PROMETHEUS_DISABLE_CREATED_SERIES); no dashboard or rule reads them',
  },
  {
    names: ['vllm:semantic_cache_hits', 'vllm:semantic_cache_misses', 'vllm:semantic_cache_hit_ratio', 'vllm:semantic_cache_size', 'vllm:semantic_cache_latency'],
    reason: 'the experimental semantic cache is not part of this build (its flags are refused)',
  },
];
