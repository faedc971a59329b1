import { expect } from '@jest/globals';
import { createServer } from 'node:net';
/** Small fetch wrappers for tests that need raw HTTP (status codes, headers, exact bodies). */

export interface RawResponse {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return toRaw(response);
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return toRaw(await fetch(url, { headers }));
}

async function toRaw(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** Wait until `check` returns true, polling; fails after `timeoutMs`. Bounded by design. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const nullOrString = {
  $$typeof: Symbol.for('jest.asymmetricMatcher'),
  asymmetricMatch: (v: unknown) => v === null || typeof v === 'string',
  toAsymmetricMatcher: () => 'null or a string',
};

/** Matcher for the OpenAI error shape {"error":{"message","type","param","code"}} with a given code. */
export function openAIError(code: string | number): unknown {
  return {
    error: {
      message: expect.any(String),
      type: expect.any(String),
      param: nullOrString,
      code,
    },
  };
}

/** A port on 127.0.0.9 where nothing listens: connections to it are refused. */
export async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.9', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return `http://127.0.0.9:${port}`;
}
