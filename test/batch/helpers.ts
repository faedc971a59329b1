import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';

export async function tempRoot(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'vllm-router-batch-'));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

export function client(baseURL: string): OpenAI {
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'test', maxRetries: 0, timeout: 10_000 });
}

/** max_tokens of line i: varies per line, so an answer's completion_tokens tells which line it answers. */
export const maxTokensOf = (i: number): number => 1 + (i % 5);

export interface ChatLinesOptions {
  prefix?: string;
  /** Output cap per line (default maxTokensOf). */
  maxTokens?: (i: number) => number;
}

/** `n` chat lines, models taken in turn; custom_id `<prefix>-<i>`. */
export function chatJsonl(n: number, models: string[], options: ChatLinesOptions = {}): string {
  const prefix = options.prefix ?? 'req';
  const maxTokens = options.maxTokens ?? maxTokensOf;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const customId = `${prefix}-${i}`;
    lines.push(
      JSON.stringify({
        custom_id: customId,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: models[i % models.length], messages: [{ role: 'user', content: `prompt for ${customId}` }], max_tokens: maxTokens(i) },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function uploadBatchFile(openai: OpenAI, content: string, name = 'input.jsonl'): Promise<string> {
  const file = await openai.files.create({ file: await toFile(Buffer.from(content), name), purpose: 'batch' });
  return file.id;
}

export async function createChatBatch(openai: OpenAI, inputFileId: string): Promise<Batch> {
  return openai.batches.create({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

/** Upload `content` and start a chat batch on it. */
export async function startChatBatch(openai: OpenAI, content: string): Promise<Batch> {
  return createChatBatch(openai, await uploadBatchFile(openai, content));
}

/** Poll until `done(batch)` holds; bounded by `timeoutMs`. */
export async function waitForBatch(openai: OpenAI, id: string, done: (b: Batch) => boolean, timeoutMs = 20_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  let last: Batch | undefined;
  while (Date.now() < deadline) {
    last = await openai.batches.retrieve(id);
    if (done(last)) return last;
    await delay(50);
  }
  throw new Error(`batch ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

export const isTerminal = (b: Batch): boolean => ['completed', 'failed', 'expired', 'cancelled'].includes(b.status);
export const completedAtLeast =
  (n: number) =>
  (b: Batch): boolean =>
    (b.request_counts?.completed ?? 0) >= n;

export interface ResultRecord {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id?: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

export function parseJsonl(text: string): ResultRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ResultRecord);
}

export async function readJsonl(openai: OpenAI, fileId: string | null | undefined): Promise<ResultRecord[]> {
  if (!fileId) return [];
  return parseJsonl(await (await openai.files.content(fileId)).text());
}

/** The fields of a chat answer that tie it to its line: model, output tokens, engine. */
export function answerOf(record: ResultRecord): { model: unknown; completionTokens: unknown; engine: unknown } {
  const body = record.response?.body ?? {};
  const usage = body['usage'] as { completion_tokens?: number } | undefined;
  return { model: body['model'], completionTokens: usage?.completion_tokens, engine: body['system_fingerprint'] };
}

/** How many times each custom_id occurs across result lines. */
export function countIds(records: ResultRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.custom_id, (counts.get(r.custom_id) ?? 0) + 1);
  return counts;
}

/** custom_ids that occur more than once (should be none). */
export function duplicates(records: ResultRecord[]): string[] {
  return [...countIds(records)].filter(([, n]) => n > 1).map(([id]) => id);
}

/** `<prefix>-0` ... `<prefix>-<n-1>`. */
export const idsOf = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
