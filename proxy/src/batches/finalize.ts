import type { FileStorage } from '../files/storage.js';
import { newFileId } from '../files/storage.js';
import type { Clock } from './deps.js';
import { uniqueRecords } from './journal.js';
import type { Lease } from './lease.js';
import { toSeconds, type BatchOutcome, type ErrorLine, type StoredBatch } from './model.js';
import type { BatchStore } from './store.js';
import { parseRequestLine, readLines } from './validate.js';

export interface FinalizeDeps {
  store: BatchStore;
  storage: FileStorage;
  clock: Clock;
}

const UNFINISHED: Record<BatchOutcome, { code: string; message: string }> = {
  expired: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  cancelled: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' },
  completed: { code: 'batch_incomplete', message: 'This request has no recorded result.' },
};

/**
 * Turn the journal into the output and error files and close the batch. Safe to repeat after a
 * crash: the file ids are planned and saved first, so a second pass overwrites the same files.
 */
export async function finalizeBatch(stored: StoredBatch, outcome: BatchOutcome, lease: Lease, deps: FinalizeDeps): Promise<StoredBatch> {
  const { batch, runtime } = stored;
  const now = deps.clock.now();
  if (runtime.outcome === undefined || !runtime.plannedOutputFileId || !runtime.plannedErrorFileId) {
    runtime.outcome = outcome;
    runtime.plannedOutputFileId = newFileId(now);
    runtime.plannedErrorFileId = newFileId(now + 1);
    if (outcome === 'cancelled') {
      batch.status = 'cancelling';
      batch.cancelling_at ??= toSeconds(now);
    } else {
      batch.status = 'finalizing';
      batch.finalizing_at = toSeconds(now);
    }
    await deps.store.save(stored, lease);
  }
  const final = runtime.outcome;

  const journal = deps.store.journalPath(batch.id);
  const done = new Set<string>();
  let completed = 0;
  let failed = 0;
  for await (const record of uniqueRecords(journal)) {
    done.add(record.custom_id);
    if (record.ok) completed++;
    else failed++;
  }
  const unfinished = await countUnfinished(stored, done, deps.storage);

  let outputFileId: string | null = null;
  if (completed > 0) {
    const file = await deps.storage.create(okLines(journal), {
      id: runtime.plannedOutputFileId,
      filename: `${batch.id}_output.jsonl`,
      purpose: 'batch_output',
    });
    outputFileId = file.id;
  }
  let errorFileId: string | null = null;
  if (failed + unfinished > 0) {
    const file = await deps.storage.create(errorLines(journal, stored, done, deps.storage, UNFINISHED[final]), {
      id: runtime.plannedErrorFileId,
      filename: `${batch.id}_error.jsonl`,
      purpose: 'batch_output',
    });
    errorFileId = file.id;
  }

  const end = toSeconds(deps.clock.now());
  batch.output_file_id = outputFileId;
  batch.error_file_id = errorFileId;
  batch.request_counts = { total: Math.max(batch.request_counts.total, completed + failed + unfinished), completed, failed: failed + unfinished };
  batch.status = final;
  if (final === 'completed') batch.completed_at = end;
  else if (final === 'expired') batch.expired_at = end;
  else batch.cancelled_at = end;
  await deps.store.save(stored, lease);
  return stored;
}

async function* okLines(journal: string): AsyncGenerator<string> {
  for await (const record of uniqueRecords(journal)) {
    if (record.ok) yield `${JSON.stringify(record.result)}\n`;
  }
}

async function* errorLines(
  journal: string,
  stored: StoredBatch,
  done: ReadonlySet<string>,
  storage: FileStorage,
  reason: { code: string; message: string },
): AsyncGenerator<string> {
  for await (const record of uniqueRecords(journal)) {
    if (!record.ok) yield `${JSON.stringify(record.result)}\n`;
  }
  let n = 0;
  for await (const customId of unfinishedIds(stored, done, storage)) {
    const line: ErrorLine = { id: `batch_req_${stored.batch.id.slice(6)}_${++n}`, custom_id: customId, response: null, error: reason };
    yield `${JSON.stringify(line)}\n`;
  }
}

async function countUnfinished(stored: StoredBatch, done: ReadonlySet<string>, storage: FileStorage): Promise<number> {
  let n = 0;
  for await (const _ of unfinishedIds(stored, done, storage)) n++;
  return n;
}

/** custom_ids of input lines with no journal record (none if the batch never validated or the input is gone). */
async function* unfinishedIds(stored: StoredBatch, done: ReadonlySet<string>, storage: FileStorage): AsyncGenerator<string> {
  if (stored.batch.in_progress_at === null) return;
  const input = await storage.openContent(stored.batch.input_file_id);
  if (!input) return;
  try {
    for await (const raw of readLines(input)) {
      const parsed = parseRequestLine(raw, stored.batch.endpoint);
      if ('request' in parsed && !done.has(parsed.request.custom_id)) yield parsed.request.custom_id;
    }
  } finally {
    input.destroy();
  }
}
