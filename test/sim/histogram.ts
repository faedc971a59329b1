/** A Prometheus histogram: per-bucket counts (non-cumulative here; the writer accumulates), sum and count. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const at = this.buckets.findIndex((le) => value <= le);
    if (at >= 0) this.counts[at]++;
  }
}

/** vLLM's buckets for vllm:time_to_first_token_seconds. */
export const TTFT_BUCKETS_SECONDS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
] as const;

/** vLLM's buckets for vllm:e2e_request_latency_seconds. */
export const E2E_BUCKETS_SECONDS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
] as const;
