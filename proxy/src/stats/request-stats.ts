import { TimeBuckets, type Totals } from './time-buckets.js';
import { RequestTrace } from './request-trace.js';

/** One engine's request statistics: live counts plus a sliding window of per-second sums. */
export class EngineRequestStats {
  readonly window: TimeBuckets;
  /** Requests sent and not yet ended. */
  inFlight = 0;
  /** In flight with no response body yet (queued or prefilling at the engine). */
  prefilling = 0;
  /** In flight and streaming (first byte received). */
  decoding = 0;
  /** Since the engine entered the table (Prometheus counters). */
  readonly lifetime = { finished: 0, errors: 0, clientErrors: 0, promptTokens: 0, completionTokens: 0 };
  /** Lifetime tokens per model (vllm:input_tokens_total{server,model}); bounded by the models the engine serves. */
  readonly tokensByModel = new Map<string, { promptTokens: number; completionTokens: number }>();

  constructor(windowSeconds: number) {
    this.window = new TimeBuckets(windowSeconds);
  }
}

/** What /stats, /engines, the log and the Prometheus gauges show for one engine. */
export interface RequestStatsView {
  window_seconds: number;
  qps: number;
  in_flight: number;
  prefilling: number;
  decoding: number;
  finished: number;
  /** Engine errors: 5xx answers, unreachable, timed out or cut mid-answer. */
  errors: number;
  /** Client errors the engine refused with 4xx (prompt too long, bad max_tokens, ...). */
  client_errors: number;
  /** Averages over the window, in seconds; null when nothing was measured. */
  avg_ttft: number | null;
  avg_itl: number | null;
  avg_latency: number | null;
  /** Average completion tokens per finished request that reported usage. */
  avg_decoding_length: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  lifetime: {
    finished: number;
    errors: number;
    client_errors: number;
    prompt_tokens: number;
    completion_tokens: number;
    /** The same token counts per model routed to this engine. */
    by_model: Array<{ model: string; prompt_tokens: number; completion_tokens: number }>;
  };
}

export interface RequestStatsOptions {
  windowSeconds: number;
  /** A monotonic clock in milliseconds (default performance.now). */
  now?: () => number;
}

/**
 * Request statistics per engine, fed by the routing core (one trace per request sent) with O(1)
 * work per request and per response chunk, and memory fixed per engine.
 */
export class RequestStats {
  private readonly engines = new Map<string, EngineRequestStats>();
  readonly now: () => number;
  readonly windowSeconds: number;

  constructor(options: RequestStatsOptions) {
    this.windowSeconds = options.windowSeconds;
    this.now = options.now ?? (() => performance.now());
  }

  /** Start tracing a request sent to `engineId`; `startedAt` is when the router received it (same clock). */
  begin(engineId: string, startedAt?: number, model?: string): RequestTrace {
    return new RequestTrace(this.engine(engineId), this.now, startedAt ?? this.now(), model);
  }

  /** Forget engines that left the table (their in-flight traces still end harmlessly). */
  retain(engineIds: ReadonlySet<string>): void {
    for (const id of this.engines.keys()) if (!engineIds.has(id)) this.engines.delete(id);
  }

  engineIds(): string[] {
    return [...this.engines.keys()];
  }

  get(engineId: string): EngineRequestStats | undefined {
    return this.engines.get(engineId);
  }

  view(engineId: string): RequestStatsView {
    return viewOf(this.engines.get(engineId) ?? new EngineRequestStats(this.windowSeconds), this.now(), this.windowSeconds);
  }

  private engine(engineId: string): EngineRequestStats {
    let stats = this.engines.get(engineId);
    if (!stats) {
      stats = new EngineRequestStats(this.windowSeconds);
      this.engines.set(engineId, stats);
    }
    return stats;
  }
}

const avg = (sum: number, count: number, scale = 1): number | null => (count > 0 ? sum / count / scale : null);

function viewOf(s: EngineRequestStats, nowMs: number, windowSeconds: number): RequestStatsView {
  const t: Totals = s.window.totals(nowMs);
  return {
    window_seconds: windowSeconds,
    qps: t.started / windowSeconds,
    in_flight: s.inFlight,
    prefilling: s.prefilling,
    decoding: s.decoding,
    finished: t.finished,
    errors: t.errors,
    client_errors: t.clientErrors,
    avg_ttft: avg(t.ttftSum, t.ttftCount, 1000),
    avg_itl: avg(t.itlSum, t.itlCount, 1000),
    avg_latency: avg(t.latencySum, t.finished, 1000),
    avg_decoding_length: avg(t.completionTokens, t.usageCount),
    prompt_tokens: t.promptTokens,
    completion_tokens: t.completionTokens,
    lifetime: {
      finished: s.lifetime.finished,
      errors: s.lifetime.errors,
      client_errors: s.lifetime.clientErrors,
      prompt_tokens: s.lifetime.promptTokens,
      completion_tokens: s.lifetime.completionTokens,
      by_model: [...s.tokensByModel].map(([model, t]) => ({ model, prompt_tokens: t.promptTokens, completion_tokens: t.completionTokens })),
    },
  };
}
