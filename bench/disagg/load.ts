import { seededRandom } from '../routing-quality/workload.js';

/** An open-loop load: Poisson arrivals at `rate` for `durationMs`, each a streamed chat with its own prompt. */
export interface LoadPlan {
  model: string;
  rate: number;
  durationMs: number;
  /** Prompt length in characters (the simulator counts 4 per token). */
  promptChars: number;
  outputTokens: number;
  seed: number;
}

/** One request as the client saw it; times in ms from the start of the run. */
export interface RequestSample {
  ok: boolean;
  sentAt: number;
  /** To the first content token. */
  ttftMs: number;
  /** Between consecutive content tokens. */
  gapsMs: number[];
  tokens: number;
  endedAt: number;
  engine: string;
  error?: string;
}

const WORDS = ['alpha', 'bravo', 'delta', 'kilo', 'lima', 'oscar', 'romeo', 'sierra', 'tango', 'zulu'];

/** A prompt of `chars` characters that shares no leading block with any other request's. */
function promptOf(index: number, chars: number, random: () => number): string {
  let text = `Request ${index}, answer from this document:`;
  while (text.length < chars) text += ` ${WORDS[Math.floor(random() * WORDS.length)]}`;
  return text.slice(0, chars);
}

/** Sends the plan's requests at their arrival times and waits for every answer (or `timeoutMs`). */
export async function runLoad(url: string, plan: LoadPlan, timeoutMs: number): Promise<{ samples: RequestSample[]; wallMs: number }> {
  const random = seededRandom(plan.seed);
  const arrivals: number[] = [];
  for (let t = -Math.log(1 - random()) * (1000 / plan.rate); t < plan.durationMs; t += -Math.log(1 - random()) * (1000 / plan.rate)) arrivals.push(t);
  const prompts = arrivals.map((_, i) => promptOf(i, plan.promptChars, random));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  const samples = await Promise.all(
    arrivals.map(async (at, i) => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - (performance.now() - started))));
      return streamOne(url, plan, prompts[i]!, started, controller.signal);
    }),
  );
  clearTimeout(timer);
  return { samples, wallMs: performance.now() - started };
}

async function streamOne(url: string, plan: LoadPlan, prompt: string, origin: number, signal: AbortSignal): Promise<RequestSample> {
  const sentAt = performance.now() - origin;
  const sample: RequestSample = { ok: false, sentAt, ttftMs: -1, gapsMs: [], tokens: 0, endedAt: sentAt, engine: 'none' };
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: plan.model, messages: [{ role: 'user', content: prompt }], max_tokens: plan.outputTokens, ignore_eos: true, stream: true }),
      signal,
    });
    sample.engine = response.headers.get('x-engine-id') ?? 'unknown';
    if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const decoder = new TextDecoder();
    let pending = '';
    let last = -1;
    for await (const bytes of response.body) {
      const now = performance.now() - origin;
      pending += decoder.decode(bytes, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
        const chunk = JSON.parse(event.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> };
        if (!chunk.choices?.[0]?.delta?.content) continue;
        if (last < 0) sample.ttftMs = now - sentAt;
        else sample.gapsMs.push(now - last);
        last = now;
        sample.tokens++;
      }
    }
    sample.ok = sample.tokens === plan.outputTokens;
    if (!sample.ok) sample.error = `${sample.tokens} of ${plan.outputTokens} tokens`;
  } catch (err) {
    sample.error = err instanceof Error ? err.message : String(err);
  }
  sample.endedAt = performance.now() - origin;
  return sample;
}
