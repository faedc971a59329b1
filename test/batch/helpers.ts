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

/** `n` chat lines, models taken in turn; each prompt names its custom_id so answers can be matched. */
export function chatJsonl(n: number, models: string[], prefix = 'req'): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const customId = `${prefix}-${i}`;
    lines.push(
      JSON.stringify({
        custom_id: customId,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: models[i % models.length], messages: [{ role: 'user', content: `prompt for ${customId}` }], max_tokens: 5 },
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

/** Poll until `done(batch)` holds; bounded by `timeoutMs`. */
export async function waitForBatch(openai: OpenAI, id: string, done: (b: Batch) => boolean, timeoutMs = 20_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  let last: Batch | undefined;
  while (Date.now() < deadline) {
    last = await openai.batches.retrieve(id);
    if (done(last)) return last;
    await delay(25);
  }
  throw new Error(`batch ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

export const isTerminal = (b: Batch) => ['completed', 'failed', 'expired', 'cancelled'].includes(b.status);

export interface ResultRecord {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id?: string; body: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
}

export async function readJsonl(openai: OpenAI, fileId: string | null | undefined): Promise<ResultRecord[]> {
  if (!fileId) return [];
  const text = await (await openai.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ResultRecord);
}

/** The assistant text of a chat answer in an output line. */
export function answerText(record: ResultRecord): string {
  const choices = record.response?.body['choices'] as Array<{ message: { content: string } }> | undefined;
  return choices?.[0]?.message.content ?? '';
}

/** How many times each custom_id occurs across result lines. */
export function countIds(records: ResultRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.custom_id, (counts.get(r.custom_id) ?? 0) + 1);
  return counts;
}
