import { describe, expect, it } from '@jest/globals';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerEventLoopDelayStats } from './event-loop-delay.js';

const lagLines = (text: string) => text.split('\n').filter((l) => /^p_nodejs_eventloop_lag_(min|max|mean|stddev|p50|p90|p99)_seconds /.test(l));

describe('event-loop delay statistics', () => {
  // Regression: with a 1 s monitor, prom-client's gauges read `Nan` (and a min of 9.2e9 s) when
  // scraped again before the monitor's next sample, and /metrics no longer parsed as numbers.
  it('never export NaN or the empty histogram\'s extremes, however soon a scrape follows another', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'p_', eventLoopMonitoringPrecision: 1000 });
    registerEventLoopDelayStats(registry, 'p_', 1000);
    for (let i = 0; i < 3; i++) {
      const lines = lagLines(await registry.metrics());
      expect(lines).toHaveLength(7);
      for (const line of lines) {
        const value = Number(line.split(' ')[1]);
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeLessThan(60);
      }
    }
  });

  it('each name is exported once', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'p_', eventLoopMonitoringPrecision: 1000 });
    registerEventLoopDelayStats(registry, 'p_', 1000);
    const types = (await registry.metrics()).split('\n').filter((l) => l.startsWith('# TYPE p_nodejs_eventloop_lag'));
    expect(new Set(types).size).toBe(types.length);
    expect(types).toHaveLength(8);
  });
});
