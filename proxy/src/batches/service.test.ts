import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalFileStorage } from '../files/local-storage.js';
import type { ProxyError } from '../http/errors.js';
import type { InternalDispatcher } from '../http/route.js';
import { silentLogger as winstonSilent } from '@vllm-router/common';
import type { Logger } from './deps.js';
import type { BatchObject } from './model.js';
import { BatchService } from './service.js';

const EP = '/v1/chat/completions';
const jsonl = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: EP, body: { model: 'm' } })).join('\n');

const dispatcher: InternalDispatcher = {
  dispatch: async () => ({ status: 200, body: { ok: true } }),
  isBusy: () => false,
  knownModels: () => new Set(['m']),
};

describe('BatchService', () => {
  let root: string;
  let storage: LocalFileStorage;
  const services: BatchService[] = [];
  const service = (over: Partial<ConstructorParameters<typeof BatchService>[0]> = {}) => {
    const s = new BatchService({ root, storage, dispatcher, concurrency: 4, pollMs: 20, tickMs: 10, leaseTtlMs: 1_000, ...over });
    services.push(s);
    return s;
  };
  const until = async (s: BatchService, id: string, ok: (b: BatchObject) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const b = await s.get(id);
      if (ok(b)) return b;
      await delay(10);
    }
    throw new Error(`batch ${id} never reached the expected state`);
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'service-unit-'));
    storage = new LocalFileStorage({ root });
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
    await rm(root, { recursive: true, force: true });
  });

  it("accepts winston's Logger as its logger", () => {
    const logger: Logger = winstonSilent();
    expect(service({ logger })).toBeInstanceOf(BatchService);
  });

  it('create validates parameters and the input file', async () => {
    const s = service();
    const input = await storage.create(jsonl(1), { filename: 'in', purpose: 'batch' });
    const notBatch = await storage.create(jsonl(1), { filename: 'in', purpose: 'user_data' });
    const bad = (body: unknown) => s.create(body).catch((e: ProxyError) => [e.status, e.param]);
    expect(await bad({ endpoint: EP, completion_window: '24h' })).toEqual([400, 'input_file_id']);
    expect(await bad({ input_file_id: input.id, endpoint: '/v1/x', completion_window: '24h' })).toEqual([400, 'endpoint']);
    expect(await bad({ input_file_id: input.id, endpoint: EP, completion_window: 'soon' })).toEqual([400, 'completion_window']);
    expect(await bad({ input_file_id: input.id, endpoint: EP, completion_window: 'toString' })).toEqual([400, 'completion_window']);
    expect(await bad({ input_file_id: input.id, endpoint: EP, completion_window: '31d' })).toEqual([400, 'completion_window']);
    expect(await bad({ input_file_id: input.id, endpoint: EP, completion_window: '24h', metadata: { k: 1 } })).toEqual([400, 'metadata']);
    expect(await bad({ input_file_id: 'file-0123456789abcdef0123456789ab', endpoint: EP, completion_window: '24h' })).toEqual([404, 'input_file_id']);
    expect(await bad({ input_file_id: notBatch.id, endpoint: EP, completion_window: '24h' })).toEqual([400, 'input_file_id']);
  });

  it("is as lenient as the reference: completion_window defaults to 24h, takes durations like 1h, and an 'unknown' purpose runs", async () => {
    const s = service({ clock: { now: () => 1_000_000_000_000 } });
    const input = await storage.create(jsonl(1), { filename: 'in', purpose: 'unknown' });
    const byDefault = await s.create({ input_file_id: input.id, endpoint: EP });
    expect(byDefault).toMatchObject({ completion_window: '24h', expires_at: 1_000_000_000 + 24 * 3600 });
    const hour = await s.create({ input_file_id: input.id, endpoint: EP, completion_window: '1h' });
    expect(hour).toMatchObject({ completion_window: '1h', expires_at: 1_000_000_000 + 3600 });
  });

  it('a batch created while no runner is up is run by the next service to start', async () => {
    const readOnly = service();
    const input = await storage.create(jsonl(5), { filename: 'in', purpose: 'batch' });
    const created = await readOnly.create({ input_file_id: input.id, endpoint: EP, completion_window: '24h' });
    await delay(50);
    expect((await readOnly.get(created.id)).status).toBe('validating');

    const runner = service();
    await runner.start();
    expect(await until(readOnly, created.id, (b) => b.status === 'completed')).toMatchObject({ request_counts: { total: 5, completed: 5, failed: 0 } });
  });

  it('cancel of an unclaimed batch is carried out by whichever replica claims it', async () => {
    const s = service();
    const input = await storage.create(jsonl(5), { filename: 'in', purpose: 'batch' });
    const created = await s.create({ input_file_id: input.id, endpoint: EP, completion_window: '24h' });
    expect((await s.cancel(created.id)).status).toBe('cancelling');
    await service().start();
    expect((await until(s, created.id, (b) => b.status === 'cancelled')).request_counts.completed).toBe(0);
  });

  it('unknown batches are 404s', async () => {
    const s = service();
    await expect(s.get('batch_0123456789abcdef0123456789ab')).rejects.toMatchObject({ status: 404 });
    await expect(s.cancel('batch_0123456789abcdef0123456789ab')).rejects.toMatchObject({ status: 404 });
  });

  it('stop releases the lease so another replica continues at once', async () => {
    const slow: InternalDispatcher = { ...dispatcher, dispatch: async () => (await delay(20), { status: 200, body: {} }) };
    const first = service({ dispatcher: slow, leaseTtlMs: 60_000 });
    await first.start();
    const input = await storage.create(jsonl(30), { filename: 'in', purpose: 'batch' });
    const created = await first.create({ input_file_id: input.id, endpoint: EP, completion_window: '24h' });
    await until(first, created.id, (b) => b.request_counts.completed > 0);
    await first.stop();
    const second = service({ leaseTtlMs: 60_000 });
    await second.start();
    expect((await until(second, created.id, (b) => b.status === 'completed')).request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
  });
});
