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

describe('vllm-engine-sim scheduling policies (--scheduling-policy)', () => {
  const chat = (tag: string, priority?: number) => ({ messages: [{ role: 'user', content: tag }], ...(priority === undefined ? {} : { priority }) });

  it('refuses a non-zero priority under fcfs with 400, as vLLM does, and takes priority 0', async () => {
    const sim = await startEngineSim({});
    try {
      const refused = await postJson(`${sim.url}/v1/chat/completions`, chat('x', 3));
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error: { message: 'Priority scheduling is not enabled.', param: 'priority' } });
      expect((await postJson(`${sim.url}/v1/chat/completions`, chat('x', 0))).status).toBe(200);
      expect((await postJson(`${sim.url}/v1/chat/completions`, chat('x', 1.5))).status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it('runs waiting requests lowest priority first under the priority policy, FIFO within one', async () => {
    // The running request takes 2 s (200 tokens), so the four behind it queue up even on a busy machine.
    const sim = await startEngineSim({ maxNumSeqs: 1, tokenDelayMs: 10, outputTokens: 200, schedulingPolicy: 'priority' });
    try {
      const order: string[] = [];
      const send = (tag: string, priority: number, maxTokens = 2) =>
        postJson(`${sim.url}/v1/chat/completions`, { ...chat(tag, priority), max_tokens: maxTokens }).then(() => void order.push(tag));
      const running = send('running', 9, 200);
      await waitFor(() => sim.stats.running === 1);
      const waiting: Array<Promise<void>> = [];
      for (const [tag, priority] of [['late-5', 5], ['urgent', -1], ['also-5', 5], ['zero', 0]] as const) {
        waiting.push(send(tag, priority));
        await waitFor(() => sim.stats.waiting === waiting.length);
      }
      await Promise.all([running, ...waiting]);
      expect(order).toEqual(['running', 'urgent', 'zero', 'late-5', 'also-5']);
    } finally {
      await sim.close();
    }
  });
});
