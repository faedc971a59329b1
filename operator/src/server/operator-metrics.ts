import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ReconcileOutcomeLabel = 'success' | 'requeue' | 'error';

/** The operator's Prometheus metrics, on their own registry (no global state; tests make many). */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'vllm_router_operator_reconcile_total',
    help: 'Reconciles of VLLMRouters by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'vllm_router_operator_reconcile_errors_total',
    help: 'Failed reconciles by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'vllm_router_operator_reconcile_duration_seconds',
    help: 'Time to reconcile one VLLMRouter.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'vllm_router_operator_queue_depth', help: 'VLLMRouter keys waiting to be reconciled.', registers: [this.registry] });
  readonly leader = new Gauge({ name: 'vllm_router_operator_leader', help: '1 while this replica holds the leader lease.', registers: [this.registry] });
  readonly relists = new Counter({
    name: 'vllm_router_operator_informer_lists_total',
    help: 'Full lists by informer (the first, and relists after 410 Gone).',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  readonly watchErrors = new Counter({
    name: 'vllm_router_operator_watch_errors_total',
    help: 'Failed lists or watches by informer (each is retried after a backoff).',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
