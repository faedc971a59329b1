import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { text } from 'node:stream/consumers';
import { CoreDispatcher } from '@vllm-router/proxy';
import { BatchService, type BatchObject } from '../../proxy/src/batches/index.js';
import { LocalFileStorage } from '../../proxy/src/files/index.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { chatJsonl, duplicates, parseJsonl, tempRoot, type ResultRecord } from './helpers.js';

/**
 * Expiry needs a clock that can jump past the 24 h completion window, which the vllm-router program
 * does not offer. So this runs the program's parts in process: BatchService with an injected clock,
 * dispatching through CoreDispatcher into a real RouterApp's routing core, to a real simulator.
 */
describe('batch expiry (in process, injected clock)', () => {
  let sim: EngineSim;
  let router: RunningRouter;
  let storage: LocalFileStorage;
  let service: BatchService;
  let cleanup: () => Promise<void>;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'slow', host: '127.0.0.2', models: ['slow-model'], outputTokens: 20, tokenDelayMs: 30 });
    router = await startRouter({ engines: [{ url: sim.url, models: ['slow-model'] }] });
    const tmp = await tempRoot();
    cleanup = tmp.remove;
    storage = new LocalFileStorage({ root: tmp.root });
    service = new BatchService({
      root: tmp.root,
      storage,
      dispatcher: new CoreDispatcher(router.app.core),
      concurrency: 8,
      clock: { now: () => Date.now() + clockOffsetMs },
      pollMs: 50,
      tickMs: 25,
      leaseTtlMs: 2_000,
    });
    await service.start();
  });

  afterAll(async () => {
    await service?.stop();
    await router?.close();
    await sim?.close();
    await cleanup?.();
  });

  async function waitFor(id: string, done: (b: BatchObject) => boolean): Promise<BatchObject> {
    for (let i = 0; i < 400; i++) {
      const batch = await service.get(id);
      if (done(batch)) return batch;
      await delay(25);
    }
    throw new Error(`batch ${id} did not get there: ${JSON.stringify(await service.get(id))}`);
  }

  async function readResults(fileId: string | null): Promise<ResultRecord[]> {
    const content = fileId ? await storage.openContent(fileId) : undefined;
    return content ? parseJsonl(await text(content)) : [];
  }

  it('expires a batch not done by expires_at: finished lines kept, the rest get batch_expired', async () => {
    const input = await storage.create(chatJsonl(80, ['slow-model'], { prefix: 'ex', maxTokens: () => 20 }), { filename: 'in.jsonl', purpose: 'batch' });
    const created = await service.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitFor(created.id, (b) => b.request_counts.completed >= 8);

    clockOffsetMs = 25 * 3600 * 1000;
    const done = await waitFor(created.id, (b) => b.status === 'expired');
    expect(done.expired_at).toEqual(expect.any(Number));
    const output = await readResults(done.output_file_id);
    const errors = await readResults(done.error_file_id);
    expect(output.length).toBeGreaterThanOrEqual(8);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.error?.code === 'batch_expired' && e.response === null)).toBe(true);
    expect([...output, ...errors]).toHaveLength(80);
    expect(duplicates([...output, ...errors])).toEqual([]);
    expect(done.request_counts).toEqual({ total: 80, completed: output.length, failed: errors.length });
    expect(sim.stats.aborted).toBeGreaterThan(0); // lines in flight at expiry were cut, not waited for
  });
});
