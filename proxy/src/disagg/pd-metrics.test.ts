import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { PdMetrics } from './pd-metrics.js';

describe('PdMetrics', () => {
  it('is one set of series per registry, however often the policy is rebuilt', () => {
    const registry = new Registry();
    expect(PdMetrics.for(registry)).toBe(PdMetrics.for(registry));
    expect(PdMetrics.for(new Registry())).not.toBe(PdMetrics.for(registry));
  });

  it('counts legs by answer class and drops the series of engines that left the table', async () => {
    const registry = new Registry();
    const metrics = PdMetrics.for(registry);
    metrics.leg('p', 'http://p:8000', 'prefill', 200);
    metrics.leg('p', 'http://p:8000', 'prefill', 503);
    metrics.leg('d', 'http://d:8000', 'decode', 'error');
    metrics.prefillTook('p', 'http://p:8000', 0.2);
    const text = await registry.metrics();
    expect(text).toContain('vllm_router_pd_requests_total{server="http://p:8000",role="prefill",status="2xx"} 1');
    expect(text).toContain('vllm_router_pd_requests_total{server="http://p:8000",role="prefill",status="5xx"} 1');
    expect(text).toContain('vllm_router_pd_requests_total{server="http://d:8000",role="decode",status="error"} 1');
    metrics.retain(new Set(['d']));
    const after = await registry.metrics();
    expect(after).not.toContain('server="http://p:8000"');
    expect(after).toContain('server="http://d:8000"');
  });
});
