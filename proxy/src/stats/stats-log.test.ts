import { describe, expect, it } from '@jest/globals';
import type { EngineReport } from './engine-report.js';
import { formatStatsTable } from './stats-log.js';

const report = (id: string, overrides: Partial<EngineReport> = {}): EngineReport => ({
  engine_id: id,
  url: id,
  serving_models: ['m'],
  ready: true,
  healthy: true,
  health: { checked: false, healthy: true, checks: [] },
  requests: {
    window_seconds: 60,
    qps: 1.5,
    in_flight: 2,
    prefilling: 1,
    decoding: 1,
    finished: 90,
    errors: 1,
    client_errors: 2,
    avg_ttft: 0.123,
    avg_itl: 0.02,
    avg_latency: 1.5,
    avg_decoding_length: 30,
    prompt_tokens: 1000,
    completion_tokens: 300,
    lifetime: { finished: 90, errors: 1, client_errors: 2, prompt_tokens: 1000, completion_tokens: 300, by_model: [] },
  },
  engine: {
    flavor: 'vllm',
    running: 3,
    waiting: 0,
    kv_cache_usage: 0.25,
    prefix_cache_hit_rate: 0.8,
    prefix_cache_queries: 1000,
    prefix_cache_hits: 800,
    block_size: 16,
    num_gpu_blocks: 100,
    scraped_at: null,
    stale: false,
  },
  ...overrides,
});

describe('the stats table in the log', () => {
  it('shows one aligned row per engine under a header', () => {
    const text = formatStatsTable([report('http://127.0.0.2:8000'), report('b', { healthy: false })], 60);
    const lines = text.split('\n');
    expect(lines[0]).toBe('engine stats (request window 60 s, 2 engines)');
    expect(lines[1]).toMatch(/^engine\s+health\s+qps\s+in_flight/);
    expect(lines[2]).toMatch(/^http:\/\/127\.0\.0\.2:8000\s+ok\s+1\.50\s+2\s+90\s+1\s+2\s+123\s+20\s+1500\s+1000\/300\s+3\s+0\s+25%\s+80%\s+fresh$/);
    expect(lines[3]).toMatch(/^b\s+FAILING/);
    expect(lines[2]!.indexOf('qps')).toBe(-1);
    expect(lines[1]!.indexOf('qps')).toBe(lines[2]!.indexOf('1.50'));
  });

  it('says why metrics are stale, and shows dashes for what is unknown', () => {
    const stale = report('a', {
      engine: { flavor: null, running: null, waiting: null, kv_cache_usage: null, prefix_cache_hit_rate: null, prefix_cache_queries: null, prefix_cache_hits: null, block_size: null, num_gpu_blocks: null, scraped_at: null, stale: true, stale_reason: 'HTTP 404' },
    });
    expect(formatStatsTable([stale], 60)).toMatch(/-\s+-\s+-\s+-\s+stale \(HTTP 404\)$/);
  });
});
