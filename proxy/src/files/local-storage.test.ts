import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LocalFileStorage } from './local-storage.js';
import { FileTooLargeError, isFileId, newFileId } from './storage.js';

describe('LocalFileStorage', () => {
  let root: string;
  let storage: LocalFileStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'files-unit-'));
    storage = new LocalFileStorage({ root });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const names = async () => (await readdir(join(root, 'files'))).sort();

  it('stores bytes and metadata side by side as <id>.bin and <id>.json', async () => {
    const file = await storage.create('hello', { filename: 'a.txt', purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', bytes: 5, filename: 'a.txt', purpose: 'batch', status: 'processed' });
    expect(await names()).toEqual([`${file.id}.bin`, `${file.id}.json`]);
    expect(JSON.parse(await readFile(join(root, 'files', `${file.id}.json`), 'utf8'))).toEqual(file);
    expect(await text((await storage.openContent(file.id))!)).toBe('hello');
  });

  it('streams content from any async source', async () => {
    const file = await storage.create(Readable.from(['a', 'b', Buffer.from('c')]), { filename: 's', purpose: 'user_data' });
    expect(file.bytes).toBe(3);
    expect(await text((await storage.openContent(file.id))!)).toBe('abc');
  });

  it('a staged file stays invisible until committed, and discard leaves nothing', async () => {
    const staged = await storage.stage('xyz');
    expect((await storage.list({ limit: 10, order: 'asc' })).data).toEqual([]);
    await staged.discard();
    expect(await names()).toEqual([]);
  });

  it('over maxBytes: FileTooLargeError, and the partial temp file is removed', async () => {
    const source = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    await expect(storage.create(source, { filename: 'big', purpose: 'batch' }, { maxBytes: 1000 })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(await names()).toEqual([]);
  });

  it('only ids of the strict shape are accepted, so no id can name another path', async () => {
    expect(isFileId(newFileId())).toBe(true);
    for (const bad of ['../secret', 'file-../../etc/passwd', 'file-ABC', `${newFileId()}/x`, '', 'file-']) {
      expect(isFileId(bad)).toBe(false);
      expect(await storage.get(bad)).toBeUndefined();
      expect(await storage.openContent(bad)).toBeUndefined();
      expect(await storage.delete(bad)).toBe(false);
    }
  });

  it('reusing an id overwrites the file atomically (a repeated batch finalize)', async () => {
    const id = newFileId();
    await storage.create('first', { id, filename: 'o.jsonl', purpose: 'batch_output' });
    const again = await storage.create('second!', { id, filename: 'o.jsonl', purpose: 'batch_output' });
    expect(again.bytes).toBe(7);
    expect(await text((await storage.openContent(id))!)).toBe('second!');
    expect(await names()).toEqual([`${id}.bin`, `${id}.json`]);
  });

  it('delete hides the file at once and removes both parts', async () => {
    const file = await storage.create('x', { filename: 'x', purpose: 'batch' });
    expect(await storage.delete(file.id)).toBe(true);
    expect(await storage.get(file.id)).toBeUndefined();
    expect(await names()).toEqual([]);
    expect(await storage.delete(file.id)).toBe(false);
  });

  describe('list', () => {
    let ids: string[];
    beforeEach(async () => {
      ids = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await storage.create(`${i}`, { filename: `${i}`, purpose: i % 2 === 0 ? 'batch' : 'user_data' })).id);
      }
    });

    it('orders by creation, newest first unless asked for asc', async () => {
      expect((await storage.list({ limit: 10, order: 'desc' })).data.map((f) => f.id)).toEqual([...ids].reverse());
      expect((await storage.list({ limit: 10, order: 'asc' })).data.map((f) => f.id)).toEqual(ids);
    });

    it('pages with limit and after, reporting has_more', async () => {
      const p1 = await storage.list({ limit: 2, order: 'asc' });
      expect(p1).toEqual({ data: [expect.objectContaining({ id: ids[0] }), expect.objectContaining({ id: ids[1] })], has_more: true });
      const p2 = await storage.list({ limit: 2, order: 'asc', after: ids[1] });
      expect(p2.data.map((f) => f.id)).toEqual([ids[2], ids[3]]);
      const p3 = await storage.list({ limit: 2, order: 'asc', after: ids[3] });
      expect(p3).toEqual({ data: [expect.objectContaining({ id: ids[4] })], has_more: false });
      const d2 = await storage.list({ limit: 2, order: 'desc', after: ids[3] });
      expect(d2.data.map((f) => f.id)).toEqual([ids[2], ids[1]]);
    });

    it('filters by purpose before counting the limit', async () => {
      const page = await storage.list({ limit: 2, order: 'asc', purpose: 'batch' });
      expect(page.data.map((f) => f.id)).toEqual([ids[0], ids[2]]);
      expect(page.has_more).toBe(true);
    });
  });

  it('sweep removes stale temp files and orphaned bytes, but not fresh ones', async () => {
    const dir = join(root, 'files');
    const kept = await storage.create('keep', { filename: 'k', purpose: 'batch' });
    await writeFile(join(dir, '.tmp-old'), 'x');
    await writeFile(join(dir, `${newFileId()}.bin`), 'orphan');
    await writeFile(join(dir, '.tmp-fresh'), 'x');
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const n of await names()) if (n !== '.tmp-fresh' && !n.startsWith(kept.id)) await utimes(join(dir, n), old, old);
    expect(await storage.sweep(3600_000)).toBe(2);
    expect(await names()).toEqual(['.tmp-fresh', `${kept.id}.bin`, `${kept.id}.json`]);
  });
});
