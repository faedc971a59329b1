import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { EngineSim } from '../sim/index.js';
import { tempRoot } from './helpers.js';
import { closeSims, spawnBatchRouter, startSims, type BatchRouter } from './stack.js';

describe('OpenAI Files API of the vllm-router program (official SDK as client)', () => {
  let sims: EngineSim[];
  let router: BatchRouter;
  let openai: OpenAI;
  let cleanup: () => Promise<void>;
  let root: string;

  beforeAll(async () => {
    const tmp = await tempRoot();
    root = tmp.root;
    cleanup = tmp.remove;
    sims = await startSims([{ engineId: 'a', models: ['model-a'] }]);
    router = await spawnBatchRouter(sims, { storage: root, args: ['--max-file-bytes', '4096'] });
    openai = router.openai;
  });

  afterAll(async () => {
    await router?.stop();
    await closeSims(sims ?? []);
    await cleanup();
  });

  it('uploads a file and returns the OpenAI file object', async () => {
    const file = await openai.files.create({ file: await toFile(Buffer.from('{"a":1}\n'), 'input.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', bytes: 8, filename: 'input.jsonl', purpose: 'batch', status: 'processed' });
    expect(file.id).toMatch(/^file-[0-9a-f]{28}$/);
    expect(await openai.files.retrieve(file.id)).toEqual(file);
  });

  it('downloads exactly the uploaded bytes', async () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const file = await openai.files.create({ file: await toFile(bytes, 'blob.bin'), purpose: 'user_data' });
    const content = Buffer.from(await (await openai.files.content(file.id)).arrayBuffer());
    expect(content.equals(bytes)).toBe(true);
  });

  it('lists by purpose, newest first by default, and pages with after/has_more', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await openai.files.create({ file: await toFile(Buffer.from(`f${i}`), `f${i}.txt`), purpose: 'fine-tune' })).id);
    }
    const first = await openai.files.list({ purpose: 'fine-tune', limit: 2 });
    expect(first.data.map((f) => f.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);
    const next = await openai.files.list({ purpose: 'fine-tune', limit: 2, after: ids[3]! });
    expect(next.data.map((f) => f.id)).toEqual([ids[2], ids[1]]);
    const all: string[] = [];
    for await (const f of openai.files.list({ purpose: 'fine-tune', limit: 2 })) all.push(f.id);
    expect(all).toEqual([...ids].reverse());
    const asc = await openai.files.list({ purpose: 'fine-tune', order: 'asc', limit: 10 });
    expect(asc.data.map((f) => f.id)).toEqual(ids);
    expect(asc.has_more).toBe(false);
    const ascAfter = await openai.files.list({ purpose: 'fine-tune', order: 'asc', after: ids[1]!, limit: 2 });
    expect(ascAfter.data.map((f) => f.id)).toEqual([ids[2], ids[3]]);
    expect((await openai.files.list({ purpose: 'batch' })).data.map((f) => f.purpose)).not.toContain('fine-tune');
  });

  it('list responses carry first_id and last_id', async () => {
    const res = await fetch(`${router.url}/v1/files?purpose=fine-tune&limit=2&order=asc`);
    const body = (await res.json()) as { object: string; data: Array<{ id: string }>; first_id: string; last_id: string; has_more: boolean };
    expect(body.object).toBe('list');
    expect(body.first_id).toBe(body.data[0]!.id);
    expect(body.last_id).toBe(body.data[1]!.id);
  });

  it('deletes a file: OpenAI delete shape, then 404 for retrieve and content', async () => {
    const file = await openai.files.create({ file: await toFile(Buffer.from('bye'), 'bye.txt'), purpose: 'user_data' });
    expect(await openai.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(openai.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(openai.files.content(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(openai.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
  });

  it('answers 404 for unknown or malformed ids, never touching other paths', async () => {
    await expect(openai.files.retrieve('file-0000000000000000000000000000')).rejects.toMatchObject({ status: 404 });
    const traversal = await fetch(`${router.url}/v1/files/..%2F..%2Fetc%2Fpasswd/content`);
    expect(traversal.status).toBe(404);
  });

  it('stores any purpose, and "unknown" when none is given, as the reference router does', async () => {
    const noPurpose = new FormData();
    noPurpose.append('file', new Blob(['x']), 'x.txt');
    const res1 = await fetch(`${router.url}/v1/files`, { method: 'POST', body: noPurpose });
    expect(res1.status).toBe(200);
    expect(await res1.json()).toMatchObject({ object: 'file', purpose: 'unknown', filename: 'x.txt' });
    const custom = await openai.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'nonsense' as 'batch' });
    expect(custom.purpose).toBe('nonsense');
    expect((await openai.files.retrieve(custom.id)).purpose).toBe('nonsense');
  });

  it('rejects a missing file with 400 and the OpenAI error shape', async () => {
    const noFile = new FormData();
    noFile.append('purpose', 'batch');
    const res2 = await fetch(`${router.url}/v1/files`, { method: 'POST', body: noFile });
    expect(res2.status).toBe(400);
    expect(await res2.json()).toEqual({ error: expect.objectContaining({ param: 'file', code: 'missing_required_parameter', type: 'invalid_request_error' }) });
  });

  it('refuses a file over maxFileBytes with 413 and leaves no partial file behind', async () => {
    const before = (await openai.files.list()).data.length;
    await expect(openai.files.create({ file: await toFile(Buffer.alloc(4097, 'a'), 'big.txt'), purpose: 'user_data' })).rejects.toMatchObject({
      status: 413,
    });
    const exact = await openai.files.create({ file: await toFile(Buffer.alloc(4096, 'a'), 'exact.txt'), purpose: 'user_data' });
    expect(exact.bytes).toBe(4096);
    expect((await openai.files.list()).data.length).toBe(before + 1);
    const leftovers = (await readdir(join(root, 'files'))).filter((n) => n.startsWith('.tmp-'));
    expect(leftovers).toEqual([]);
  });
});
