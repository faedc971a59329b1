/** One streamed chat answer as the client saw it. */
export interface StreamResult {
  /** Ended with [DONE] and a finish_reason. */
  completed: boolean;
  /** The text equals the uninterrupted answer. */
  exact: boolean;
  /** Engines that produced its chunks, in order (system_fingerprint changes). */
  engines: string[];
  /** Gaps between consecutive content chunks from the same engine, ms. */
  normalGaps: number[];
  /** Gaps between the last chunk from one engine and the first from the next, ms. */
  migrationGaps: number[];
  error?: string;
}

/** POST one streamed chat completion and read it to the end, timing every content chunk. */
export async function streamOnce(url: string, model: string, prompt: string, expected: string, signal: AbortSignal): Promise<StreamResult> {
  const result: StreamResult = { completed: false, exact: false, engines: [], normalGaps: [], migrationGaps: [] };
  let text = '';
  let done = false;
  let finished = false;
  let lastAt = -1;
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], stream: true, temperature: 0 }),
      signal,
    });
    if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}`);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const bytes of response.body) {
      pending += decoder.decode(bytes, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!event.startsWith('data: ')) continue;
        const data = event.slice(6);
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as { system_fingerprint?: string; choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }> };
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finished = true;
        const content = choice?.delta?.content;
        if (!content) continue;
        const at = performance.now();
        const engine = chunk.system_fingerprint ?? '?';
        if (result.engines.at(-1) !== engine) {
          if (lastAt >= 0) result.migrationGaps.push(at - lastAt);
          result.engines.push(engine);
        } else if (lastAt >= 0) result.normalGaps.push(at - lastAt);
        lastAt = at;
        text += content;
      }
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  }
  result.completed = done && finished;
  result.exact = result.completed && text === expected;
  return result;
}
