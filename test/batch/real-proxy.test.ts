import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';

describe('Files and Batches in the vllm-router program, against simulated engines', () => {
  let a: EngineSim;
  let b: EngineSim;
  let dir: string;
  let router: RouterProcess;
  let client: OpenAI;

  beforeAll(async () => {
    a = await startEngineSim({ engineId: 'a', host: '127.0.0.2', models: ['model-a'], outputTokens: 4 });
    b = await startEngineSim({ engineId: 'b', host: '127.0.0.3', models: ['model-b'], outputTokens: 4 });
    dir = await mkdtemp(join(tmpdir(), 'vllm-router-batch-'));
    router = await spawnRouter([
      '--service-discovery', 'static',
      '--static-backends', `${a.url},${b.url}`,
      '--static-models', 'model-a,model-b',
      '--static-aliases', 'fast:model-b',
      '--routing-logic', 'roundrobin',
      '--enable-batch-api', '--file-storage-path', dir,
    ]);
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([a.close(), b.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a batch over two models (and an alias) through the engines, each custom_id answered once', async () => {
    const models = ['model-a', 'model-b', 'fast'];
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: models[i % 3], messages: [{ role: 'user', content: `line ${i}` }] } }),
    );
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'input.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', filename: 'input.jsonl', purpose: 'batch', bytes: expect.any(Number) });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let done = batch;
    for (let i = 0; i < 300 && !['completed', 'failed', 'expired', 'cancelled'].includes(done.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = await client.batches.retrieve(batch.id);
    }
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 120, completed: 120, failed: 0 });
    const output = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: { system_fingerprint: string } } });
    expect(new Set(output.map((o) => o.custom_id)).size).toBe(120);
    expect(output).toHaveLength(120);
    const byId = new Map(output.map((o) => [o.custom_id, o]));
    expect(byId.get('req-0')?.response.body.system_fingerprint).toBe('a');
    expect(byId.get('req-2')?.response.body.system_fingerprint).toBe('b');
    expect(a.stats.requests['/v1/chat/completions']).toBe(40);
    expect(b.stats.requests['/v1/chat/completions']).toBe(80);
  });
});
