import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalWriter, replayJournal, repairTail, uniqueRecords, type JournalRecord } from './journal.js';

const record = (custom_id: string, ok = true, fence = 1): JournalRecord => ({
  custom_id,
  line: 1,
  ok,
  fence,
  result: ok
    ? { id: `batch_req_${custom_id}`, custom_id, response: { status_code: 200, request_id: 'x', body: {} }, error: null }
    : { id: `batch_req_${custom_id}`, custom_id, response: null, error: { code: 'e', message: 'm' } },
});

describe('batch journal', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-unit-'));
    path = join(dir, 'journal.jsonl');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const replayed = async () => {
    const ids: string[] = [];
    const stats = await replayJournal(path, (r) => ids.push(r.custom_id));
    return { ids, stats };
  };

  it('appends one line per record and replays them in order', async () => {
    const j = await JournalWriter.open(path);
    await Promise.all(['a', 'b', 'c'].map((id) => j.append(record(id))));
    await j.close();
    expect(await replayed()).toEqual({ ids: ['a', 'b', 'c'], stats: { records: 3, skipped: 0 } });
  });

  it('replaying a journal that does not exist yields nothing', async () => {
    expect(await replayed()).toEqual({ ids: [], stats: { records: 0, skipped: 0 } });
  });

  it('tolerates a torn last line, and reopening cuts it off before appending', async () => {
    await writeFile(path, `${JSON.stringify(record('a'))}\n${JSON.stringify(record('b')).slice(0, 25)}`);
    expect(await replayed()).toEqual({ ids: ['a'], stats: { records: 1, skipped: 1 } });

    const j = await JournalWriter.open(path);
    await j.append(record('c'));
    await j.close();
    expect(await replayed()).toEqual({ ids: ['a', 'c'], stats: { records: 2, skipped: 0 } });
    expect((await readFile(path, 'utf8')).endsWith('\n')).toBe(true);
  });

  it('repairTail empties a file that holds only a torn line', async () => {
    await writeFile(path, '{"custom_id":"a"');
    expect(await repairTail(path)).toBe(16);
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('writes nothing when the fencing check fails', async () => {
    let allowed = true;
    const j = await JournalWriter.open(path, async () => {
      if (!allowed) throw new Error('fenced');
    });
    await j.append(record('a'));
    allowed = false;
    await expect(j.append(record('b'))).rejects.toThrow('fenced');
    await j.close();
    expect((await replayed()).ids).toEqual(['a']);
  });

  it('uniqueRecords keeps only the first record of each custom_id', async () => {
    await appendFile(path, [record('a', true, 1), record('b', false, 1), record('a', false, 2)].map((r) => `${JSON.stringify(r)}\n`).join(''));
    const out: Array<[string, boolean, number]> = [];
    for await (const r of uniqueRecords(path)) out.push([r.custom_id, r.ok, r.fence]);
    expect(out).toEqual([
      ['a', true, 1],
      ['b', false, 1],
    ]);
  });
});
