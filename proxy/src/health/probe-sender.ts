import type { Probe } from './probes.js';

/** Sends a probe; resolves when the engine answered 2xx, rejects with a readable reason otherwise. */
export type ProbeSender = (engineUrl: string, probe: Probe, timeoutMs: number) => Promise<void>;

export class ProbeFailed extends Error {}

/** The default sender: a real HTTP request with a timeout, and the backend key when one is configured. */
export function httpProbeSender(backendApiKey?: string): ProbeSender {
  return async (engineUrl, probe, timeoutMs) => {
    let response: Response;
    try {
      response = await fetch(`${engineUrl}${probe.path}`, {
        method: 'POST',
        headers: { 'content-type': probe.contentType, ...(backendApiKey ? { authorization: `Bearer ${backendApiKey}` } : {}) },
        body: probe.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ProbeFailed(describe(err, timeoutMs), { cause: err });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new ProbeFailed(`response cut: ${describe(err, timeoutMs)}`, { cause: err });
    }
    if (response.status < 200 || response.status > 299) throw new ProbeFailed(`HTTP ${response.status}${excerpt(text)}`);
  };
}

function describe(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message} (${(cause as Error & { code?: string }).code ?? cause.message})`;
  return err.message;
}

/** The engine's error message, if it sent the OpenAI error shape; else the start of the body. */
function excerpt(text: string): string {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown }; message?: unknown };
    const m = parsed.error?.message ?? parsed.message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: keep the raw text
  }
  message = message.trim().replace(/\s+/g, ' ');
  return message ? `: ${message.slice(0, 200)}` : '';
}
