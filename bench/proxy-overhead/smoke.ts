import type { Target } from './targets.js';
import { CHAT_BODY, CHAT_PATH, STREAM_BODY } from './workload.js';

async function post(port: number, body: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${CHAT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** One plain and one streamed request through every target, so a broken setup fails fast. */
export async function smokeTest(targets: readonly Target[]): Promise<void> {
  for (const t of targets) {
    const plain = await post(t.port, CHAT_BODY);
    if (plain.status !== 200 || !plain.text.includes('"chat.completion"'))
      throw new Error(`${t.label}: plain request answered ${plain.status}: ${plain.text.slice(0, 300)}`);
    const streamed = await post(t.port, STREAM_BODY);
    if (streamed.status !== 200 || !streamed.type.includes('text/event-stream') || !streamed.text.includes('[DONE]'))
      throw new Error(`${t.label}: streamed request answered ${streamed.status} ${streamed.type}: ${streamed.text.slice(0, 300)}`);
  }
}
