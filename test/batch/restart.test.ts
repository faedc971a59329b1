import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnProxy, type ProxyChild } from './child.js';
import { startFakeEngine, type FakeEngine } from './fake-engine.js';
import { answerText, chatJsonl, client, countIds, createChatBatch, isTerminal, readJsonl, tempRoot, uploadBatchFile, waitForBatch } from './helpers.js';

describe('batches survive a killed proxy and run once across replicas', () => {
  let engine: FakeEngine;
  const children: ProxyChild[] = [];
  const roots: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    engine = await startFakeEngine({ models: ['model-a', 'model-b'], latencyMs: 15 });
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  });

  afterAll(async () => {
    await engine.close();
    await Promise.all(roots.map((r) => r()));
  });

  const spawn = async (root: string, leaseTtlMs = 1_000) => {
    const child = await spawnProxy({ root, engines: [engine], concurrency: 8, leaseTtlMs });
    children.push(child);
    return child;
  };

  it('a proxy SIGKILLed mid-batch is restarted and finishes it with nothing missing or doubled', async () => {
    const { root, remove } = await tempRoot();
    roots.push(remove);
    const first = await spawn(root);
    const openai1 = client(first.url);
    const created = await createChatBatch(openai1, await uploadBatchFile(openai1, chatJsonl(300, ['model-a', 'model-b'], 'kill')));
    const before = await waitForBatch(openai1, created.id, (b) => (b.request_counts?.completed ?? 0) >= 60);
    expect(before.status).toBe('in_progress');
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');

    const second = await spawn(root);
    const openai2 = client(second.url);
    const done = await waitForBatch(openai2, created.id, isTerminal, 30_000);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 300, completed: 300, failed: 0 });

    const output = await readJsonl(openai2, done.output_file_id);
    const counts = countIds(output);
    expect(counts.size).toBe(300);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    for (const line of output) expect(answerText(line)).toBe(`echo: prompt for ${line.custom_id}`);

    const resumed = second.logs.find((l) => l.msg === 'batch resumed' && l['batch'] === created.id);
    expect(resumed?.['alreadyDone']).toEqual(expect.any(Number));
    expect(Number(resumed?.['alreadyDone'])).toBeGreaterThanOrEqual(60);
  });

  it('two proxies on the same storage never both run one batch', async () => {
    const { root, remove } = await tempRoot();
    roots.push(remove);
    // A long lease: nobody is killed here, so a takeover could only mean a broken lock.
    const [a, b] = await Promise.all([spawn(root, 10_000), spawn(root, 10_000)]);
    const openaiA = client(a.url);
    const openaiB = client(b.url);
    const requestsBefore = engine.stats.requests;

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const via = i % 2 === 0 ? openaiA : openaiB;
      ids.push((await createChatBatch(via, await uploadBatchFile(via, chatJsonl(60, ['model-a', 'model-b'], `dup${i}`)))).id);
    }
    for (const id of ids) {
      // Any replica answers reads from shared storage, whichever one runs the batch.
      const done = await waitForBatch(openaiB, id, isTerminal, 30_000);
      expect(done.request_counts).toEqual({ total: 60, completed: 60, failed: 0 });
      const output = await readJsonl(openaiA, done.output_file_id);
      expect(countIds(output).size).toBe(60);
      expect(output).toHaveLength(60);
    }

    const claims = [...a.logs, ...b.logs].filter((l) => l.msg === 'batch claimed');
    for (const id of ids) {
      expect(claims.filter((c) => c['batch'] === id)).toHaveLength(1);
      // Every journal record was written under the one fencing token.
      const journal = await readFile(join(root, 'batches', id, 'journal.jsonl'), 'utf8');
      const fences = new Set(journal.trim().split('\n').map((l) => (JSON.parse(l) as { fence: number }).fence));
      expect([...fences]).toEqual([1]);
    }
    // Each line reached an engine exactly once: no batch ran twice.
    expect(engine.stats.requests - requestsBefore).toBe(180);
  });
});
