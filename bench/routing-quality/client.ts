import type { SessionPlan, Workload } from './workload.js';

/** One request as the client saw it. */
export interface RequestResult {
  session: string;
  turn: number;
  ok: boolean;
  /** Time to the first content token, client-measured over the stream. */
  ttftMs: number;
  latencyMs: number;
  engine: string;
  error?: string;
}

/** How a policy run reaches the router: the base URL, and per-request extras (session header, ?id= pin). */
export interface Target {
  url: string;
  model: string;
  headersFor(session: SessionPlan): Record<string, string>;
  queryFor(session: SessionPlan): string;
}

type Message = { role: 'system' | 'user' | 'assistant'; content: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** POST a streaming chat completion; reads the SSE stream to the end, timing the first content token. */
export async function streamChat(target: Target, session: SessionPlan, messages: Message[], signal: AbortSignal): Promise<{ text: string; ttftMs: number; latencyMs: number; engine: string }> {
  const started = performance.now();
  const response = await fetch(`${target.url}/v1/chat/completions${target.queryFor(session)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headersFor(session) },
    body: JSON.stringify({ model: target.model, messages, stream: true, max_tokens: 64 }),
    signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
  const engine = response.headers.get('x-engine-id') ?? 'unknown';
  const decoder = new TextDecoder();
  let pending = '';
  let text = '';
  let ttftMs = -1;
  for await (const bytes of response.body) {
    pending += decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
      const content = chunk.choices?.[0]?.delta?.content;
      if (content) {
        if (ttftMs < 0) ttftMs = performance.now() - started;
        text += content;
      }
    }
  }
  return { text, ttftMs, latencyMs: performance.now() - started, engine };
}

/** Plays one session: each turn carries the whole conversation so far, as a chat client does. */
async function playSession(workload: Workload, target: Target, session: SessionPlan, signal: AbortSignal, out: RequestResult[]): Promise<void> {
  const messages: Message[] = [{ role: 'system', content: `${workload.systemPrompt}\n\n${workload.documents[session.document]}` }];
  for (let turn = 0; turn < session.questions.length; turn++) {
    if (turn > 0) await sleep(session.thinkMs[turn]!);
    if (signal.aborted) return;
    messages.push({ role: 'user', content: session.questions[turn]! });
    try {
      const r = await streamChat(target, session, messages, signal);
      messages.push({ role: 'assistant', content: r.text });
      out.push({ session: session.id, turn, ok: true, ttftMs: r.ttftMs, latencyMs: r.latencyMs, engine: r.engine });
    } catch (err) {
      out.push({ session: session.id, turn, ok: false, ttftMs: 0, latencyMs: 0, engine: 'none', error: err instanceof Error ? err.message : String(err) });
      return;
    }
  }
}

/** Replays every session at its start time; stops whatever is left after `timeoutMs`. */
export async function replay(workload: Workload, target: Target, timeoutMs: number): Promise<{ results: RequestResult[]; wallMs: number; timedOut: boolean }> {
  const results: RequestResult[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  await Promise.all(
    workload.sessions.map(async (session) => {
      await sleep(session.startAtMs);
      await playSession(workload, target, session, controller.signal, results);
    }),
  );
  clearTimeout(timer);
  return { results, wallMs: performance.now() - started, timedOut: controller.signal.aborted };
}
