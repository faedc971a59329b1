import { Agent, request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { PlannedRequest } from './workload.js';

/** One request as the client saw it; times in ms from when it was due (open loop). */
export interface RequestResult {
  plan: PlannedRequest;
  /** HTTP status, or 'error' (connection failed), or 'cut' (no answer by the run's cutoff). */
  status: number | 'error' | 'cut';
  headersMs?: number;
  /** First content token of the stream. */
  ttftMs?: number;
  endMs?: number;
  engine?: string;
  retryAfter?: string;
  /** How late the generator sent it (a busy machine). */
  lagMs: number;
}

export interface Target {
  url: string;
  model: string;
}

const FIRST_CONTENT = /"content":"[^"]/;

/**
 * Plays the plan open loop: request i is sent at t0 + plan[i].at whatever happened to earlier ones
 * (no coordinated omission), streamed, its first content token timed. Everything still open at
 * `cutoffMs` after t0 is cut and reported as such. Resolves when every request has settled.
 */
export async function playOpenLoop(plan: readonly PlannedRequest[], target: Target, cutoffMs: number): Promise<RequestResult[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 10_000 });
  const { hostname, port } = new URL(target.url);
  const results: RequestResult[] = [];
  const open = new Set<() => void>();
  const t0 = performance.now();
  let settledCount = 0;
  let finish!: () => void;
  const allSettled = new Promise<void>((resolve) => (finish = resolve));

  const launch = (planned: PlannedRequest) => {
    const due = t0 + planned.at;
    const result: RequestResult = { plan: planned, status: 'error', lagMs: performance.now() - due };
    let settled = false;
    const since = () => performance.now() - due;
    const settle = (status?: RequestResult['status']) => {
      if (settled) return;
      settled = true;
      if (status !== undefined) result.status = status;
      result.endMs = since();
      open.delete(cut);
      results.push(result);
      if (++settledCount === plan.length) finish();
    };
    const body = JSON.stringify({ model: target.model, messages: [{ role: 'user', content: planned.content }], stream: true, max_tokens: planned.outputTokens, ignore_eos: true });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-tenant': planned.tenant,
      'x-request-priority': planned.cls === 'urgent' ? '0' : '1',
      ...(planned.session ? { 'x-session-id': planned.session } : {}),
    };
    const req = request({ host: hostname, port, path: '/v1/chat/completions', method: 'POST', headers, agent }, (res: IncomingMessage) => {
      result.status = res.statusCode ?? 0;
      result.headersMs = since();
      const engine = res.headers['x-engine-id'];
      if (typeof engine === 'string') result.engine = engine;
      const retryAfter = res.headers['retry-after'];
      if (typeof retryAfter === 'string') result.retryAfter = retryAfter;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        if (result.ttftMs === undefined && FIRST_CONTENT.test(text)) result.ttftMs = since();
      });
      res.on('end', () => settle());
      res.on('error', () => settle());
    });
    const cut = () => {
      if (result.ttftMs === undefined) result.status = 'cut';
      req.destroy();
      settle();
    };
    open.add(cut);
    req.on('error', () => settle(result.headersMs === undefined ? 'error' : undefined));
    req.end(body);
  };

  let next = 0;
  const tick = () => {
    const now = performance.now();
    while (next < plan.length && t0 + plan[next]!.at <= now) launch(plan[next++]!);
    if (next < plan.length) setTimeout(tick, Math.max(0, t0 + plan[next]!.at - performance.now()));
  };
  tick();
  const cutoff = setTimeout(() => {
    const launched = next;
    next = plan.length;
    for (const cut of [...open]) cut();
    // Requests never launched (the machine fell that far behind) count as cut too.
    for (let i = launched; i < plan.length; i++) {
      results.push({ plan: plan[i]!, status: 'cut', lagMs: 0 });
      if (++settledCount === plan.length) finish();
    }
  }, cutoffMs);
  if (plan.length === 0) finish();
  await allSettled;
  clearTimeout(cutoff);
  agent.destroy();
  return results;
}
