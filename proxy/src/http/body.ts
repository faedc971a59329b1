import type { IncomingMessage } from 'node:http';
import { errors } from './errors.js';

/** Reads the whole request body, refusing it with 413 as soon as it passes the limit. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain so the connection can answer
    throw errors.tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw errors.tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Parses a JSON object body; anything else is a 400 in the OpenAI shape. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw errors.badJson(err instanceof Error ? err.message : String(err));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw errors.badRequest('Request body must be a JSON object.', null, 'invalid_body');
  return value as Record<string, unknown>;
}
