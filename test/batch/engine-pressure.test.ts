import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type OpenAI from 'openai';
import { setTimeout as delay } from 'node:timers/promises';
import type { EngineSim } from '../sim/index.js';
import { chatJsonl, duplicates, isTerminal, readJsonl, startChatBatch, tempRoot, waitForBatch } from './helpers.js';
import { chatRequests, closeSims, spawnBatchRouter, startSims, type BatchRouter } from './stack.js';

/** Poll `check` every few ms until it holds (bounded). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** Let `sim` drop connections until it has dropped `count` more, then heal it. */
async function resetWindow(sim: EngineSim, count: number): Promise<void> {
  const target = sim.stats.injected.resets + count;
  sim.setFailure({ resetBeforeResponse: true });
  try {
    await until(() => sim.stats.injected.resets >= target, `${count} resets`);
  } finally {
    sim.setFailure({ resetBeforeResponse: false });
  }
}

describe('batches under engine trouble and interactive load, through vllm-router', () => {
  let flaky: EngineSim;
  let busy: EngineSim;
  let router: BatchRouter;
  let openai: OpenAI;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    [flaky, busy] = await startSims([
      { engineId: 'flaky', models: ['model-r'], tokenDelayMs: 5 },
      { engineId: 'busy', models: ['model-y'], tokenDelayMs: 20, outputTokens: 150 },
    ]);
    const tmp = await tempRoot();
    cleanup = tmp.remove;
    // Each drop ejects the flaky engine (outlier detection); short ejections and probes let it
    // come back within the test's time, so batch lines meet many drops and 503s in a row.
    router = await spawnBatchRouter([flaky, busy], { storage: tmp.root, args: ['--outlier-base-ejection-seconds', '0.05', '--outlier-probe-interval-seconds', '0.05'] });
    openai = router.openai;
  });

  afterAll(async () => {
    await router?.stop();
    await closeSims([flaky, busy].filter(Boolean));
    await cleanup?.();
  });

  it('retries lines through transient engine failures (dropped connections -> 502): all complete, each once', async () => {
    const created = startChatBatch(openai, chatJsonl(80, ['model-r'], { prefix: 'flaky' }));
    await resetWindow(flaky, 12);
    const done = await waitForBatch(openai, (await created).id, isTerminal);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 80, completed: 80, failed: 0 } });
    const output = await readJsonl(openai, done.output_file_id);
    expect(output).toHaveLength(80);
    expect(duplicates(output)).toEqual([]);
    // Every dropped attempt was tried again: one engine request per line, plus one per drop.
    expect(chatRequests(flaky)).toBe(80 + flaky.stats.injected.resets);
  });

  it('holds batch lines back while interactive traffic keeps the engines busy, then runs them', async () => {
    // Four long interactive chats (150 tokens x 20 ms = 3 s) make the one engine of model-y busy.
    const interactive = Array.from({ length: 4 }, (_, i) =>
      openai.chat.completions.create({ model: 'model-y', messages: [{ role: 'user', content: `interactive ${i}` }], max_tokens: 150 }),
    );
    await until(() => busy.stats.inFlight === 4, 'the interactive requests to reach the engine');
    const created = await startChatBatch(openai, chatJsonl(10, ['model-y'], { prefix: 'held', maxTokens: () => 2 }));
    await waitForBatch(openai, created.id, (b) => b.status === 'in_progress');
    await delay(700);
    expect(busy.stats.inFlight).toBe(4); // still the interactive ones...
    expect(chatRequests(busy)).toBe(4); // ...and no batch line has been sent
    expect((await openai.batches.retrieve(created.id)).request_counts?.completed).toBe(0);

    const answers = await Promise.all(interactive);
    expect(answers.every((a) => a.usage?.completion_tokens === 150)).toBe(true);
    const done = await waitForBatch(openai, created.id, isTerminal);
    expect(done.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
    expect(chatRequests(busy)).toBe(14);
  });

  it('exports batch metrics on /metrics: lines by outcome, status transitions, active batches', async () => {
    const lines = (outcome: string) => router.metric('vllm_router_batch_lines_total', { outcome });
    const entered = (status: string) => router.metric('vllm_router_batch_status_transitions_total', { status });
    const before = {
      completed: await lines('completed'),
      failed: await lines('failed'),
      retried: await lines('retried'),
      resets: flaky.stats.injected.resets,
      transitions: Object.fromEntries(await Promise.all(['validating', 'in_progress', 'finalizing', 'completed'].map(async (s) => [s, await entered(s)] as const))),
    };
    expect(await router.metric('vllm_router_batches_active')).toBe(0);

    const ghost = JSON.stringify({ custom_id: 'ghost', method: 'POST', url: '/v1/chat/completions', body: { model: 'ghost', messages: [{ role: 'user', content: 'boo' }] } });
    const content = `${chatJsonl(60, ['model-r'], { prefix: 'm', maxTokens: () => 30 })}${ghost}\n`;
    const created = startChatBatch(openai, content);
    await resetWindow(flaky, 4);
    const id = (await created).id;
    await waitForBatch(openai, id, (b) => b.status === 'in_progress');
    expect(await router.metric('vllm_router_batches_active')).toBe(1);
    expect(await entered('in_progress')).toBe(before.transitions['in_progress']! + 1);

    const done = await waitForBatch(openai, id, isTerminal);
    expect(done.request_counts).toEqual({ total: 61, completed: 60, failed: 1 });
    expect(await lines('completed')).toBe(before.completed + 60);
    expect(await lines('failed')).toBe(before.failed + 1);
    // Every drop is retried; so are lines that found the flaky engine ejected meanwhile (503).
    expect(await lines('retried')).toBeGreaterThanOrEqual(before.retried + (flaky.stats.injected.resets - before.resets));
    for (const status of ['validating', 'in_progress', 'finalizing', 'completed']) expect(await entered(status)).toBe(before.transitions[status]! + 1);
    expect(await entered('failed')).toBe(0);
    await until(async () => (await router.metric('vllm_router_batches_active')) === 0, 'the batch to be released');
  });
});
