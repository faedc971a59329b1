import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import type { EngineSim } from '../sim/index.js';
import { chatJsonl, isTerminal, startChatBatch, tempRoot, waitForBatch } from './helpers.js';
import { chatRequests, closeSims, spawnBatchRouter, startSims, type BatchRouter } from './stack.js';

/**
 * With admission limits, batch lines wait in the same queue as interactive requests, as its lowest
 * class: an interactive request that arrives while lines are queued goes to the engine next.
 */
describe('batch lines as the lowest class of the admission queue', () => {
  let sim: EngineSim;
  let router: BatchRouter;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    [sim] = await startSims([{ engineId: 'one', models: ['model-q'], tokenDelayMs: 10, outputTokens: 8, maxNumSeqs: 1 }]);
    const tmp = await tempRoot();
    cleanup = tmp.remove;
    router = await spawnBatchRouter([sim!], { storage: tmp.root, args: ['--max-concurrency-per-engine', '1', '--batch-concurrency', '6'] });
  });

  afterAll(async () => {
    await router?.stop();
    await closeSims(sim ? [sim] : []);
    await cleanup?.();
  });

  it('sends an interactive request ahead of every waiting batch line', async () => {
    const created = await startChatBatch(router.openai, chatJsonl(30, ['model-q'], { prefix: 'line', maxTokens: () => 8 }));
    const deadline = Date.now() + 10_000;
    while (chatRequests(sim) < 3 && Date.now() < deadline) await delay(5);
    for (let i = 0; i < 3; i++) {
      const before = chatRequests(sim);
      const answer = await router.openai.chat.completions.create({ model: 'model-q', messages: [{ role: 'user', content: `interactive ${i}` }], max_tokens: 4 });
      expect(answer.choices[0]?.message.content).toBeTruthy();
      const recorded = sim.stats.lastRequests.filter((r) => r.path === '/v1/chat/completions');
      const at = recorded.findIndex((r) => JSON.stringify(r.body).includes(`interactive ${i}`));
      const arrivedAs = chatRequests(sim) - (recorded.length - at); // requests the engine had before this one
      // The line running when it arrived finishes first (at most one more was already on its way); then it goes.
      expect(arrivedAs - before).toBeLessThanOrEqual(1);
    }
    const done = await waitForBatch(router.openai, created.id, isTerminal, 30_000);
    expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
    expect(sim.stats.maxQueueLength).toBe(0);
    expect(await router.metric('vllm_router_requests_admitted_total', { model: 'model-q', path: 'queued' })).toBeGreaterThan(20);
  });
});
