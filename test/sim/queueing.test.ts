import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from './index.js';
import { parsePrometheus, sampleValue } from './prom-parse.js';
import { httpCall, postJson, waitFor } from './test-client.js';

describe('vllm-engine-sim queueing (maxNumSeqs)', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ maxNumSeqs: 1, tokenDelayMs: 20, outputTokens: 8 });
  });
  afterAll(() => sim.close());

  const scrape = async () => parsePrometheus((await httpCall(`${sim.url}/metrics`)).text).samples;

  it('runs one request at a time and makes the second wait in FIFO order', async () => {
    const body = (tag: string) => ({ messages: [{ role: 'user', content: tag }] });
    const first = postJson(`${sim.url}/v1/chat/completions`, body('first'));
    await waitFor(() => sim.stats.running === 1);
    const second = postJson(`${sim.url}/v1/chat/completions`, body('second'));
    await waitFor(() => sim.stats.waiting === 1);

    const samples = await scrape();
    expect(sampleValue(samples, 'vllm:num_requests_running')).toBe(1);
    expect(sampleValue(samples, 'vllm:num_requests_waiting')).toBe(1);

    await Promise.all([first, second]);
    const [a, b] = sim.stats.ttfts;
    expect(a.queueMs).toBeLessThan(50);
    // The second waited for the first's 7 decode steps of 20 ms before its own prefill.
    expect(b.queueMs).toBeGreaterThanOrEqual(120);
    expect(b.ttftMs).toBeGreaterThanOrEqual(b.queueMs);
    expect(sim.stats.maxQueueLength).toBe(1);

    const after = await scrape();
    expect(sampleValue(after, 'vllm:num_requests_running')).toBe(0);
    expect(sampleValue(after, 'vllm:num_requests_waiting')).toBe(0);
  });
});
