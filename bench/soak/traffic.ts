/**
 * The soak's request kinds: each sends one request the way a client would and says whether the
 * answer was the one expected. A client-side abort counts as expected (that is the point of it).
 */

export type Kind = 'stream' | 'chat' | 'abort' | 'not_found' | 'bad_json' | 'upload' | 'models';

/** Share of each kind in the mix (sums to 1). */
export const MIX: ReadonlyArray<[Kind, number]> = [
  ['stream', 0.4],
  ['chat', 0.2],
  ['abort', 0.1],
  ['not_found', 0.1],
  ['bad_json', 0.05],
  ['upload', 0.1],
  ['models', 0.05],
];

export interface Outcome {
  kind: Kind;
  ok: boolean;
  /** What was wrong when not ok. */
  detail?: string;
  ms: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function chatBody(model: string, stream: boolean, i: number): string {
  return JSON.stringify({ model, stream, max_tokens: 8, messages: [{ role: 'user', content: `soak request ${i % 997}: say something` }] });
}

async function expectStatus(response: Response, status: number): Promise<string | undefined> {
  const text = await response.text();
  if (response.status !== status) return `status ${response.status} (expected ${status}): ${text.slice(0, 200)}`;
  return undefined;
}

/** Reads an SSE body to its end; fails if it never says [DONE]. */
async function readStream(response: Response): Promise<string | undefined> {
  if (response.status !== 200) return `status ${response.status}: ${(await response.text()).slice(0, 200)}`;
  const text = await response.text();
  return text.includes('data: [DONE]') ? undefined : 'stream ended without [DONE]';
}

/** Starts a stream and walks away after its first chunk. */
async function abortStream(base: string, model: string, i: number): Promise<string | undefined> {
  const controller = new AbortController();
  const response = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: chatBody(model, true, i), signal: controller.signal });
  if (response.status !== 200) return `status ${response.status}`;
  const reader = response.body!.getReader();
  await reader.read();
  controller.abort();
  await reader.cancel().catch(() => undefined);
  return undefined;
}

/** Uploads a small JSONL file and deletes it again, so storage stays flat over hours. */
async function uploadAndDelete(base: string, i: number): Promise<string | undefined> {
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([`{"custom_id":"c${i}","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n`]), `soak-${i}.jsonl`);
  const created = await fetch(`${base}/v1/files`, { method: 'POST', body: form });
  if (created.status !== 200) return `upload status ${created.status}: ${(await created.text()).slice(0, 200)}`;
  const { id } = (await created.json()) as { id: string };
  const deleted = await fetch(`${base}/v1/files/${id}`, { method: 'DELETE' });
  return expectStatus(deleted, 200);
}

export async function send(kind: Kind, base: string, model: string, i: number): Promise<Outcome> {
  const started = performance.now();
  let detail: string | undefined;
  try {
    switch (kind) {
      case 'stream':
        detail = await readStream(await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: chatBody(model, true, i) }));
        break;
      case 'chat':
        detail = await expectStatus(await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: chatBody(model, false, i) }), 200);
        break;
      case 'abort':
        detail = await abortStream(base, model, i);
        break;
      case 'not_found':
        detail = await expectStatus(await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: chatBody(`no-such-model-${i % 7}`, false, i) }), 404);
        break;
      case 'bad_json':
        detail = await expectStatus(await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: '{"model":' }), 400);
        break;
      case 'upload':
        detail = await uploadAndDelete(base, i);
        break;
      case 'models':
        detail = await expectStatus(await fetch(`${base}/v1/models`), 200);
        break;
    }
  } catch (err) {
    detail = `${kind}: ${err instanceof Error ? `${err.message}${err.cause ? ` (${String(err.cause)})` : ''}` : String(err)}`;
  }
  return { kind, ok: detail === undefined, ms: performance.now() - started, ...(detail ? { detail } : {}) };
}

/** Picks kinds by MIX with a small seeded generator (mulberry32), so runs are repeatable. */
export function kindPicker(seed: number): () => Kind {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    let x = next();
    for (const [kind, share] of MIX) {
      if (x < share) return kind;
      x -= share;
    }
    return MIX[0]![0];
  };
}
