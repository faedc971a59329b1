import { Counter, Histogram, type Registry } from 'prom-client';

export type PdRole = 'prefill' | 'decode';
/** Why a leg went to another engine: its engine failed, or a decode engine failed after it may have pulled the blocks. */
export type PdRetryReason = 'prefill_failed' | 'decode_unreachable' | 'decode_failed';

/**
 * The disaggregated flow's own series (`vllm_router_pd_*`), with bounded labels: engine URLs of
 * the table, the two roles, a fixed set of reasons. One set per registry, however often the
 * policy is rebuilt.
 */
export class PdMetrics {
  readonly legs: Counter<'server' | 'role' | 'status'>;
  readonly prefillSeconds: Histogram<'server'>;
  readonly retries: Counter<'role' | 'reason'>;
  private readonly servers = new Map<string, string>();

  private constructor(registry: Registry) {
    this.legs = new Counter({
      name: 'vllm_router_pd_requests_total',
      help: 'Legs of disaggregated requests sent to each engine, by role (prefill or decode) and answer (2xx, 4xx, 5xx, or error when the engine could not be reached or failed before its head).',
      labelNames: ['server', 'role', 'status'] as const,
      registers: [registry],
    });
    this.prefillSeconds = new Histogram({
      name: 'vllm_router_pd_prefill_seconds',
      help: 'Time of the prefill leg, from sending it to reading its whole answer.',
      labelNames: ['server'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'vllm_router_pd_retries_total',
      help: 'Disaggregated legs sent again to another engine, by role and reason.',
      labelNames: ['role', 'reason'] as const,
      registers: [registry],
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, PdMetrics>();

  static for(registry: Registry): PdMetrics {
    let metrics = PdMetrics.byRegistry.get(registry);
    if (!metrics) PdMetrics.byRegistry.set(registry, (metrics = new PdMetrics(registry)));
    return metrics;
  }

  leg(engineId: string, server: string, role: PdRole, status: number | 'error'): void {
    this.servers.set(engineId, server);
    this.legs.inc({ server, role, status: statusClass(status) });
  }

  prefillTook(engineId: string, server: string, seconds: number): void {
    this.servers.set(engineId, server);
    this.prefillSeconds.observe({ server }, seconds);
  }

  /** Drop the series of engines that left the table. */
  retain(engineIds: ReadonlySet<string>): void {
    for (const [id, server] of this.servers) {
      if (engineIds.has(id)) continue;
      this.servers.delete(id);
      this.prefillSeconds.remove({ server });
      for (const role of ['prefill', 'decode'] as const) for (const status of STATUS_CLASSES) this.legs.remove({ server, role, status });
    }
  }
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error'] as const;

function statusClass(status: number | 'error'): (typeof STATUS_CLASSES)[number] {
  if (status === 'error' || status < 100 || status > 599) return 'error';
  return `${Math.floor(status / 100)}xx` as (typeof STATUS_CLASSES)[number];
}
