import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A bare node:http client for the sim's tests: no pooling, no retries, errors surface as they happen. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RequestOptions {
  method?: string;
  /** Objects are sent as JSON; strings are sent as-is (to test bad JSON). */
  body?: unknown;
  /** Give up (destroy the request) after this many ms. */
  timeoutMs?: number;
}

export function httpCall(url: string, options: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = encode(options.body);
    const req = httpRequest(url, { method: options.method ?? (payload ? 'POST' : 'GET'), agent: false, headers: jsonHeaders(payload) });
    if (options.timeoutMs !== undefined) req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(payload);
  });
}

export async function postJson<T>(url: string, body: unknown): Promise<{ status: number; headers: IncomingHttpHeaders; json: T }> {
  const res = await httpCall(url, { body });
  return { status: res.status, headers: res.headers, json: JSON.parse(res.text) as T };
}

export interface SseEvent {
  /** The text after `data: `. */
  data: string;
  /** performance.now() when the event reached the client. */
  at: number;
}

export interface SseResult {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  /** True when the response ended cleanly; false when the connection broke first. */
  complete: boolean;
  startedAt: number;
}

/** POST and collect SSE events with their arrival times. abortAfterEvents makes the client hang up early. */
export function streamSse(url: string, body: unknown, abortAfterEvents?: number): Promise<SseResult> {
  return new Promise((resolve, reject) => {
    const payload = encode(body);
    const startedAt = performance.now();
    let result: SseResult | undefined;
    let buffered = '';
    const finish = (): void => {
      if (result) resolve(result);
    };
    const req = httpRequest(url, { method: 'POST', agent: false, headers: jsonHeaders(payload) });
    // Once the response started, a broken connection is a result (complete: false), not a failure.
    req.on('error', (err) => (result ? finish() : reject(err)));
    req.on('response', (res) => {
      result = { status: res.statusCode ?? 0, headers: res.headers, events: [], complete: false, startedAt };
      const current = result;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffered += chunk;
        const parts = buffered.split('\n\n');
        buffered = parts.pop() ?? '';
        for (const part of parts) {
          if (part.startsWith('data: ')) current.events.push({ data: part.slice('data: '.length), at });
        }
        if (abortAfterEvents !== undefined && current.events.length >= abortAfterEvents) req.destroy();
      });
      res.on('error', () => undefined);
      res.on('end', () => (current.complete = true));
      res.on('close', finish);
    });
    req.end(payload);
  });
}

/** Parse the JSON events of an SSE result, leaving out the final [DONE]. */
export function jsonEvents<T>(result: SseResult): T[] {
  return result.events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as T);
}

/** Poll until the predicate holds; bounded so a broken sim fails the test instead of hanging it. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function encode(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function jsonHeaders(payload: string | undefined): Record<string, string | number> {
  return payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
}
