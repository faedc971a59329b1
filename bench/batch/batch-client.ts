import { setTimeout as delay } from 'node:timers/promises';

/** The parts of the OpenAI batch object the benchmark reads. */
export interface BatchView {
  id: string;
  status: string;
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** `n` chat lines on `model`, custom_id line-<i>, each asking for exactly `maxTokens` tokens. */
export function batchJsonl(n: number, model: string, maxTokens: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = { model, messages: [{ role: 'user', content: `Summarize record ${i} in a few words.` }], max_tokens: maxTokens, ignore_eos: true };
    lines.push(JSON.stringify({ custom_id: `line-${i}`, method: 'POST', url: '/v1/chat/completions', body }));
  }
  return `${lines.join('\n')}\n`;
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function uploadAndCreate(baseUrl: string, content: string): Promise<BatchView> {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([content]), 'bench.jsonl');
  const file = await json<{ id: string }>(await fetch(`${baseUrl}/v1/files`, { method: 'POST', body: form }));
  return json<BatchView>(
    await fetch(`${baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    }),
  );
}

export const getBatch = async (baseUrl: string, id: string): Promise<BatchView> => json<BatchView>(await fetch(`${baseUrl}/v1/batches/${id}`));

/** Poll every `everyMs` until `done`; `onPoll` sees each state. Bounded by `timeoutMs`. */
export async function waitForBatch(baseUrl: string, id: string, done: (b: BatchView) => boolean, timeoutMs: number, everyMs = 100): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await getBatch(baseUrl, id);
    if (done(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms: ${JSON.stringify(batch.request_counts)}`);
    await delay(everyMs);
  }
}

export const isTerminal = (b: BatchView): boolean => TERMINAL.has(b.status);

/** How many output lines there are, and how many custom_ids occur more than once. */
export async function checkOutput(baseUrl: string, fileId: string | null): Promise<{ lines: number; duplicates: number }> {
  if (!fileId) return { lines: 0, duplicates: 0 };
  const res = await fetch(`${baseUrl}/v1/files/${fileId}/content`);
  const text = await res.text();
  const ids = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
  return { lines: ids.length, duplicates: ids.length - new Set(ids).size };
}

/** vllm_router_batch_lines_total by outcome, from the router's /metrics. */
export async function batchLineMetrics(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^vllm_router_batch_lines_total\{outcome="(\w+)"\} (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
