import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ResultLine } from './model.js';

/** One finished input line. A custom_id appears once per run; on replay the first record wins. */
export interface JournalRecord {
  custom_id: string;
  /** 1-based input line. */
  line: number;
  ok: boolean;
  result: ResultLine;
  /** Fencing token of the runner that wrote it. */
  fence: number;
}

export interface ReplayStats {
  records: number;
  /** Unparseable lines (a torn tail after a crash, or damage); their custom_ids simply run again. */
  skipped: number;
}

/** Stream every intact record of the journal at `path` (none when it does not exist). */
export async function replayJournal(path: string, onRecord: (record: JournalRecord) => void): Promise<ReplayStats> {
  const stats: ReplayStats = { records: 0, skipped: 0 };
  for await (const record of journalRecords(path, stats)) onRecord(record);
  return stats;
}

/** The intact records of a journal in write order; unparseable lines are counted in `stats` and skipped. */
export async function* journalRecords(path: string, stats: ReplayStats = { records: 0, skipped: 0 }): AsyncGenerator<JournalRecord> {
  const input = createReadStream(path, { encoding: 'utf8' });
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      if (text.trim() === '') continue;
      const record = parseRecord(text);
      if (record) {
        stats.records++;
        yield record;
      } else {
        stats.skipped++;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  } finally {
    input.destroy();
  }
}

/** Only the first record of each custom_id counts: a later one can only come from a superseded runner. */
export async function* uniqueRecords(path: string): AsyncGenerator<JournalRecord> {
  const seen = new Set<string>();
  for await (const record of journalRecords(path)) {
    if (seen.has(record.custom_id)) continue;
    seen.add(record.custom_id);
    yield record;
  }
}

function parseRecord(text: string): JournalRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<JournalRecord>;
    if (typeof r.custom_id !== 'string' || typeof r.ok !== 'boolean' || typeof r.result !== 'object' || r.result === null) return undefined;
    return r as JournalRecord;
  } catch {
    return undefined;
  }
}

interface Pending {
  data: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Append-only, fsync'd journal writer. Appends that arrive while a write is in flight are grouped
 * into the next write, so one fsync covers many lines. `beforeWrite` is the fencing check: it throws
 * when this runner no longer holds the batch, and the records are then not written.
 */
export class JournalWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private idle: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly beforeWrite: () => Promise<void>,
  ) {}

  /** Open for appending, first cutting off a torn last line so new records start on a line of their own. */
  static async open(path: string, beforeWrite: () => Promise<void> = async () => undefined): Promise<JournalWriter> {
    await repairTail(path);
    return new JournalWriter(await open(path, 'a'), beforeWrite);
  }

  /** Resolves once the record is durable. */
  append(record: JournalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ data: `${JSON.stringify(record)}\n`, resolve, reject });
      if (!this.flushing) this.idle = this.flush();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0);
        try {
          await this.beforeWrite();
          await this.handle.appendFile(group.map((p) => p.data).join(''));
          await this.handle.datasync();
          for (const p of group) p.resolve();
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/** Truncate `path` after its last newline (a record is always written with its newline in one append). */
export async function repairTail(path: string): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
    if (end < size) {
      await handle.truncate(end);
      await handle.sync();
    }
    return size - end;
  } finally {
    await handle.close();
  }
}
