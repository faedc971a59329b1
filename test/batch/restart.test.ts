import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineSim } from '../sim/index.js';
import { answerOf, chatJsonl, completedAtLeast, duplicates, idsOf, isTerminal, readJsonl, startChatBatch, tempRoot, waitForBatch } from './helpers.js';
import { batchLogs, chatRequests, closeSims, spawnBatchRouter, startSims, type BatchRouter } from './stack.js';

const CONCURRENCY = 8;
const LINES = 320;
/** Short enough that a dead replica's batch is taken over within the test, long enough for a busy machine. */
const LEASE_SECONDS = 3;

/**
 * Replicas of vllm-router come and go on one storage directory: each test starts from the replica
 * the previous one left running (starting the program costs seconds on a busy machine).
 */
describe('batches survive a killed vllm-router and run once across replicas sharing storage', () => {
  let sims: EngineSim[];
  let root: string;
  let removeRoot: () => Promise<void>;
  const routers: BatchRouter[] = [];
  let current: BatchRouter;

  beforeAll(async () => {
    // 8 output tokens 10 ms apart: about 70 ms per line, so a few hundred lines take a few seconds.
    sims = await startSims([
      { engineId: 'a', models: ['model-a'], tokenDelayMs: 10 },
      { engineId: 'b', models: ['model-b'], tokenDelayMs: 10 },
    ]);
    ({ root, remove: removeRoot } = await tempRoot());
    current = await spawn();
  });

  afterAll(async () => {
    await Promise.all(routers.map((r) => r.stop('SIGKILL')));
    await closeSims(sims ?? []);
    await removeRoot?.();
  });

  async function spawn(): Promise<BatchRouter> {
    const router = await spawnBatchRouter(sims, { storage: root, args: ['--batch-concurrency', String(CONCURRENCY), '--batch-lease-seconds', String(LEASE_SECONDS)] });
    routers.push(router);
    return router;
  }
  const engineRequests = () => sims.reduce((sum, s) => sum + chatRequests(s), 0);
  const lines = (prefix: string, n = LINES) => chatJsonl(n, ['model-a', 'model-b'], { prefix, maxTokens: () => 8 });

  it('a proxy SIGKILLed mid-batch is restarted on the same storage and finishes it: nothing missing, nothing doubled', async () => {
    const before = engineRequests();
    const created = await startChatBatch(current.openai, lines('kill'));
    const progress = await waitForBatch(current.openai, created.id, completedAtLeast(20));
    expect(progress.status).toBe('in_progress');
    expect(await current.stop('SIGKILL')).toBeNull();
    const killedAt = Date.now();

    current = await spawn();
    const done = await waitForBatch(current.openai, created.id, isTerminal, 30_000);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: LINES, completed: LINES, failed: 0 } });
    const output = await readJsonl(current.openai, done.output_file_id);
    expect(output).toHaveLength(LINES);
    expect(duplicates(output)).toEqual([]);
    expect(output.map((l) => l.custom_id).sort()).toEqual(idsOf('kill', LINES).sort());
    for (const line of output) expect(answerOf(line)).toMatchObject({ completionTokens: 8 });

    // The new replica claimed the batch only once the dead one's lease lapsed: the lease was last
    // renewed at most a third of its time before the kill.
    const [claimed] = batchLogs(current.logs(), 'batch claimed', created.id);
    expect(Date.parse(String(claimed?.['timestamp'])) - killedAt).toBeGreaterThanOrEqual((LEASE_SECONDS * 1000 * 2) / 3 - 100);
    const [resumed] = batchLogs(current.logs(), 'batch resumed', created.id);
    expect(Number(resumed?.['alreadyDone'])).toBeGreaterThanOrEqual(progress.request_counts!.completed);
    // Only lines in flight at the kill reached an engine twice.
    const rerun = engineRequests() - before - LINES;
    expect(rerun).toBeGreaterThanOrEqual(0);
    expect(rerun).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('a proxy stopped with SIGTERM mid-batch hands its lines back: the next start runs them, none failed', async () => {
    const created = await startChatBatch(current.openai, lines('term'));
    await waitForBatch(current.openai, created.id, completedAtLeast(20));
    expect(await current.stop('SIGTERM')).toBe(0);

    current = await spawn();
    const done = await waitForBatch(current.openai, created.id, isTerminal, 30_000);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: LINES, completed: LINES, failed: 0 } });
    const output = await readJsonl(current.openai, done.output_file_id);
    expect(output).toHaveLength(LINES);
    expect(duplicates(output)).toEqual([]);
  });

  it('two proxies on the same storage never both run one batch', async () => {
    const [a, b] = [current, await spawn()];
    const before = engineRequests();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const via = i % 2 === 0 ? a : b;
      ids.push((await startChatBatch(via.openai, lines(`dup${i}`, 60))).id);
    }
    for (const id of ids) {
      // Either replica answers reads from the shared storage, whichever one runs the batch.
      const done = await waitForBatch(b.openai, id, isTerminal, 30_000);
      expect(done.request_counts).toEqual({ total: 60, completed: 60, failed: 0 });
      const output = await readJsonl(a.openai, done.output_file_id);
      expect(output).toHaveLength(60);
      expect(duplicates(output)).toEqual([]);
    }

    const logs = [...a.logs(), ...b.logs()];
    for (const id of ids) {
      expect(batchLogs(logs, 'batch claimed', id)).toHaveLength(1);
      // Every journal record was written under the one fencing token.
      const journal = await readFile(join(root, 'batches', id, 'journal.jsonl'), 'utf8');
      const fences = new Set(journal.trim().split('\n').map((l) => (JSON.parse(l) as { fence: number }).fence));
      expect([...fences]).toEqual([1]);
    }
    // Each line reached an engine exactly once: no batch ran twice.
    expect(engineRequests() - before).toBe(4 * 60);
  });
});
