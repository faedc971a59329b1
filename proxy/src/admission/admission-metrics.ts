import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TrafficClass } from './fair-queue.js';

export type RejectReason = 'queue_full' | 'queue_timeout' | 'rate_limit_requests' | 'rate_limit_tokens' | 'client_closed' | 'shutting_down';

/** Queue depth per (model, priority) and engine saturation, read when /metrics is scraped. */
export interface AdmissionGaugeSource {
  depths(): Array<{ model: string; priority: string; size: number }>;
  saturation(): Array<{ server: string; reason: string }>;
}

/**
 * A bounded set of label values: the values named up front, then the first `max` others seen, then
 * `other`. Priorities and tenant names come from clients, so they can't be labels as they are.
 */
export class BoundedLabels {
  private readonly seen = new Set<string>();
  private readonly limit: number;

  constructor(max: number, named: Iterable<string> = []) {
    for (const n of named) this.seen.add(n);
    this.limit = max + this.seen.size;
  }

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return 'other';
    this.seen.add(value);
    return value;
  }
}

/** The queue's label for a priority: batch lines are their own class. */
export const priorityLabel = (labels: BoundedLabels, trafficClass: TrafficClass, priority: number): string =>
  trafficClass === 'batch' ? 'batch' : labels.of(String(priority));

/** Admission control's metrics, registered into the proxy's registry (vllm_router_ prefix). */
export class AdmissionMetrics {
  readonly priorities = new BoundedLabels(32);
  readonly tenants: BoundedLabels;

  readonly queueWait: Histogram<'model' | 'priority'>;
  readonly admitted: Counter<'model' | 'path'>;
  readonly rejected: Counter<'model' | 'reason'>;
  readonly affinity: Counter<'model' | 'outcome'>;
  readonly tenantRequests: Counter<'tenant'>;
  readonly tenantRejected: Counter<'tenant' | 'reason'>;
  readonly tenantTokens: Counter<'tenant' | 'kind'>;

  /** Labelled children cached per label set (bounded: models x bounded priority and tenant labels), off the hot path's hashing. */
  private readonly admittedChildren = new Map<string, { inc(): void }>();
  private readonly waitChildren = new Map<string, { observe(value: number): void }>();
  private readonly tenantChildren = new Map<string, { inc(): void }>();

  admittedChild(model: string, path: 'immediate' | 'queued'): { inc(): void } {
    const key = `${model}\u0000${path}`;
    let child = this.admittedChildren.get(key);
    if (!child) this.admittedChildren.set(key, (child = this.admitted.labels(model, path)));
    return child;
  }

  waitChild(model: string, priority: string): { observe(value: number): void } {
    const key = `${model}\u0000${priority}`;
    let child = this.waitChildren.get(key);
    if (!child) this.waitChildren.set(key, (child = this.queueWait.labels(model, priority)));
    return child;
  }

  tenantChild(tenantLabel: string): { inc(): void } {
    let child = this.tenantChildren.get(tenantLabel);
    if (!child) this.tenantChildren.set(tenantLabel, (child = this.tenantRequests.labels(tenantLabel)));
    return child;
  }

  constructor(registry: Registry, source: AdmissionGaugeSource, namedTenants: Iterable<string> = []) {
    this.tenants = new BoundedLabels(100, namedTenants);
    const registers = [registry];
    new Gauge({
      name: 'vllm_router_queue_depth',
      help: 'Requests waiting in the router\'s admission queue, per model and priority (batch lines: priority="batch").',
      labelNames: ['model', 'priority'] as const,
      registers,
      collect() {
        this.reset();
        for (const d of source.depths()) this.inc({ model: d.model, priority: d.priority }, d.size);
      },
    });
    new Gauge({
      name: 'vllm_router_engine_saturated',
      help: 'Engines that take no new request now, by reason: concurrency (--max-concurrency-per-engine), waiting (--max-engine-waiting), kv_usage (--max-engine-kv-usage).',
      labelNames: ['server', 'reason'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of source.saturation()) this.set({ server: s.server, reason: s.reason }, 1);
      },
    });
    this.queueWait = new Histogram({
      name: 'vllm_router_queue_wait_seconds',
      help: 'Time admitted requests waited in the router\'s queue before going to an engine (0 when there was room at once).',
      labelNames: ['model', 'priority'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.admitted = new Counter({
      name: 'vllm_router_requests_admitted_total',
      help: 'Requests admitted to an engine, by path: immediate (room at once) or queued.',
      labelNames: ['model', 'path'] as const,
      registers,
    });
    this.rejected = new Counter({
      name: 'vllm_router_requests_rejected_total',
      help: 'Requests refused by admission control, by reason (queue_full, queue_timeout, rate_limit_requests, rate_limit_tokens, client_closed, shutting_down).',
      labelNames: ['model', 'reason'] as const,
      registers,
    });
    this.affinity = new Counter({
      name: 'vllm_router_affinity_waits_total',
      help: 'Queued requests that waited for the engine their session or prefix prefers while another had room: preferred (they went there in time) or spilled (elsewhere, after --affinity-max-wait-ms).',
      labelNames: ['model', 'outcome'] as const,
      registers,
    });
    this.tenantRequests = new Counter({
      name: 'vllm_router_tenant_requests_total',
      help: 'Requests admitted per tenant (API key id, or --tenant-header value; at most 100 tenants beyond those configured, then "other").',
      labelNames: ['tenant'] as const,
      registers,
    });
    this.tenantRejected = new Counter({
      name: 'vllm_router_tenant_rejected_total',
      help: 'Requests refused per tenant, by reason.',
      labelNames: ['tenant', 'reason'] as const,
      registers,
    });
    this.tenantTokens = new Counter({
      name: 'vllm_router_tenant_tokens_total',
      help: 'Tokens per tenant from the engines\' usage reports, by kind (prompt, completion).',
      labelNames: ['tenant', 'kind'] as const,
      registers,
    });
  }
}
