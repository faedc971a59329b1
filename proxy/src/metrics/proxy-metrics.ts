import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerEventLoopDelayStats } from './event-loop-delay.js';
import { registerHostMetrics, registerStandardProcessMetrics } from './host-metrics.js';

/** How a request to an engine failed, as `error_type` of vllm:request_errors_total (bounded set). */
export type EngineErrorType = 'http_4xx' | 'http_5xx' | 'connect_error' | 'timeout' | 'interrupted' | 'upstream_error';

/** Sampling period of the event-loop delay monitor behind the vllm_router_nodejs_eventloop_lag_* gauges. */
const EVENT_LOOP_SAMPLE_MS = 1000;

/** The reference router's latency buckets, so histograms from both routers aggregate together. */
const REFERENCE_LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Every metric the proxy exports, declared in one place with bounded labels. Names follow the
 * reference router where the meaning is the same (dashboards and KEDA scalers keep working);
 * `vllm_router_*` are our own.
 */
export class ProxyMetrics {
  readonly registry = new Registry();

  /** Named with `_total` as a Prometheus scrape of the reference (prometheus_client adds it) shows it. */
  readonly incomingRequests = new Counter({
    name: 'vllm:num_incoming_requests_total',
    help: 'Requests received per model, including those with no engine available (KEDA scales engines from zero on this).',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly requestLatency = new Histogram({
    name: 'vllm:request_latency_seconds',
    help: 'End-to-end request latency at the router; status is success, or error (engine answer >= 400 or failure), as in the reference.',
    labelNames: ['server', 'model', 'status'] as const,
    buckets: REFERENCE_LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly requestsRunning = new Gauge({
    name: 'vllm:num_requests_running',
    help: 'Requests in flight from this router to each engine.',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });

  /** Engine-side failures per attempt, as the reference counts them; error_type by status class or failure. */
  readonly requestErrors = new Counter({
    name: 'vllm:request_errors_total',
    help: 'Requests to engines that failed: error_type http_4xx (client error the engine refused), http_5xx, connect_error, timeout, interrupted or upstream_error.',
    labelNames: ['server', 'model', 'error_type'] as const,
    registers: [this.registry],
  });

  /** Requests the router itself answered with an error (no engine involved), by our error code. */
  readonly routerErrors = new Counter({
    name: 'vllm_router_request_errors_total',
    help: 'Requests that ended in an error at the router, by model and error code (e.g. no_available_engine, upstream_error).',
    labelNames: ['model', 'code'] as const,
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: 'vllm_router_config_reloads_total',
    help: 'Routing configuration loads, by source and result (applied or rejected).',
    labelNames: ['source', 'result'] as const,
    registers: [this.registry],
  });

  readonly configValid = new Gauge({
    name: 'vllm_router_config_valid',
    help: '1 when the last configuration read was valid, 0 when it was rejected and the last good one is in force.',
    registers: [this.registry],
  });

  readonly upstreamRetries = new Counter({
    name: 'vllm_router_upstream_retries_total',
    help: 'Requests retried on another engine after a failure before the first byte.',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({
    name: 'vllm_router_upstream_errors_total',
    help: 'Failures talking to an engine, by kind.',
    labelNames: ['server', 'code'] as const,
    registers: [this.registry],
  });

  /** Counts what routing does now (see countEngines), computed when /metrics is read. */
  private engineCounts: () => { routable: number; out: number } = () => ({ routable: 0, out: 0 });

  readonly routingEngines = new Gauge({
    name: 'vllm_router_engines',
    help: 'Engines in the routing table: ready="true" those routing sends traffic to now (ready, not ejected, passing health checks), ready="false" the rest.',
    labelNames: ['ready'] as const,
    registers: [this.registry],
    collect: () => {
      const { routable, out } = this.engineCounts();
      this.routingEngines.set({ ready: 'true' }, routable);
      this.routingEngines.set({ ready: 'false' }, out);
    },
  });

  readonly engineEjections = new Counter({
    name: 'vllm_router_engine_ejections_total',
    help: 'Engines ejected from routing by passive outlier detection, by the signal that ejected them.',
    labelNames: ['server', 'signal'] as const,
    registers: [this.registry],
  });

  /** Where vllm_router_engines gets its numbers. */
  countEngines(counts: () => { routable: number; out: number }): void {
    this.engineCounts = counts;
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    registerHostMetrics(this.registry);
    if (options.processMetrics) {
      // The event-loop delay monitor wakes the loop every `eventLoopMonitoringPrecision` ms, load or
      // not: prom-client's default 10 ms was most of an idle router's CPU (0.4 % of a core).
      collectDefaultMetrics({ register: this.registry, prefix: 'vllm_router_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      registerEventLoopDelayStats(this.registry, 'vllm_router_', EVENT_LOOP_SAMPLE_MS);
      // process_cpu_seconds_total & co. under their standard names too, as any Prometheus client exports them.
      registerStandardProcessMetrics(this.registry);
    }
  }

  /** Counts an engine-side failure (once per attempt, as the reference does). */
  engineError(server: string, model: string, errorType: EngineErrorType): void {
    this.requestErrors.inc({ server, model, error_type: errorType });
  }

  /**
   * Labelled children looked up once per label set: prom-client hashes the label object on every
   * call otherwise, which shows on the request path. Keys are bounded (engines x models x status).
   */
  private readonly runningChildren = new Map<string, { inc(): void; dec(): void }>();
  private readonly latencyChildren = new Map<string, { observe(value: number): void }>();
  private readonly incomingChildren = new Map<string, { inc(): void }>();

  /** Counts a request for a model the router serves (or served): the names are bounded by the table. */
  incoming(model: string): { inc(): void } {
    let child = this.incomingChildren.get(model);
    if (!child) this.incomingChildren.set(model, (child = this.incomingRequests.labels(model)));
    return child;
  }

  running(server: string): { inc(): void; dec(): void } {
    let child = this.runningChildren.get(server);
    if (!child) this.runningChildren.set(server, (child = this.requestsRunning.labels(server)));
    return child;
  }

  /** `failed`: the engine answered >= 400, or the request failed (the reference's status "error"). */
  latency(server: string, model: string, failed: boolean): { observe(value: number): void } {
    const status = failed ? 'error' : 'success';
    const key = `${server}\u0000${model}\u0000${status}`;
    let child = this.latencyChildren.get(key);
    if (!child) this.latencyChildren.set(key, (child = this.requestLatency.labels(server, model, status)));
    return child;
  }

  /** Drop the series of engines that left the table, so /metrics doesn't grow forever. */
  forgetServer(server: string): void {
    this.runningChildren.delete(server);
    for (const key of this.latencyChildren.keys()) if (key.startsWith(`${server}\u0000`)) this.latencyChildren.delete(key);
    this.requestsRunning.remove({ server });
    this.upstreamRetries.remove({ server });
    for (const m of [this.requestLatency, this.upstreamErrors, this.engineEjections, this.requestErrors] as const) removeMatching(m, 'server', server);
  }
}

interface LabelledMetric {
  get(): Promise<{ values: Array<{ labels: Record<string, string | number> }> }> | { values: Array<{ labels: Record<string, string | number> }> };
  remove(labels: Record<string, string | number>): void;
}

function removeMatching(metric: LabelledMetric, label: string, value: string): void {
  void Promise.resolve(metric.get()).then(({ values }) => {
    const seen = new Set<string>();
    for (const v of values) {
      if (v.labels[label] !== value) continue;
      // Histograms report one value per bucket; remove each label set once, without `le`.
      const { le: _le, ...labels } = v.labels;
      const key = JSON.stringify(labels);
      if (!seen.has(key)) {
        seen.add(key);
        metric.remove(labels);
      }
    }
  });
}
