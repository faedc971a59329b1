import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
type Stat = (typeof STATS)[number];

const HELP: Record<Stat, string> = {
  min: 'The minimum recorded event loop delay.',
  max: 'The maximum recorded event loop delay.',
  mean: 'The mean of the recorded event loop delays.',
  stddev: 'The standard deviation of the recorded event loop delays.',
  p50: 'The 50th percentile of the recorded event loop delays.',
  p90: 'The 90th percentile of the recorded event loop delays.',
  p99: 'The 99th percentile of the recorded event loop delays.',
};

/**
 * `<prefix>nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`, the names prom-client's
 * default metrics give them, from a delay monitor sampling every `resolutionMs`. prom-client's own
 * reset their histogram at each scrape, so a scrape that comes before the next sample exports NaN
 * (and a min of 9.2e9 s); these keep the last window that had samples instead. Call after
 * collectDefaultMetrics: prom-client's gauges of these names are taken out of the registry.
 */
export function registerEventLoopDelayStats(registry: Registry, prefix: string, resolutionMs: number): void {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const name = (stat: Stat) => `${prefix}nodejs_eventloop_lag_${stat}_seconds`;
  for (const stat of STATS) registry.removeSingleMetric(name(stat));
  const last: Record<Stat, number> = { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 };
  const gauges = new Map<Stat, Gauge>();
  const refresh = () => {
    if (histogram.count === 0) return;
    last.min = histogram.min / 1e9;
    last.max = histogram.max / 1e9;
    last.mean = histogram.mean / 1e9;
    last.stddev = histogram.stddev / 1e9;
    last.p50 = histogram.percentile(50) / 1e9;
    last.p90 = histogram.percentile(90) / 1e9;
    last.p99 = histogram.percentile(99) / 1e9;
    histogram.reset();
  };
  for (const stat of STATS)
    gauges.set(
      stat,
      new Gauge({
        name: name(stat),
        help: HELP[stat],
        registers: [registry],
        // The first gauge collected reads the window; the rest report what it read.
        collect() {
          if (stat === STATS[0]) refresh();
          this.set(last[stat]);
        },
      }),
    );
}
