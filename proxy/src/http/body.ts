import type { IncomingMessage } from 'node:http';
import { errors, type ProxyError } from './errors.js';
import { JsonTooDeepError, parseJsonWithDepthLimit } from './json-depth.js';

/**
 * Reads the whole request body, refusing it with 413 as soon as it passes the limit. Plain
 * listeners rather than `for await`: the async iterator allocates per chunk on the hot path.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain so the connection can answer
    return Promise.reject(errors.tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(errors.tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(errors.clientClosed());
    });
  });
}

/** A JSON body that failed to parse, as the client's 400. */
export function jsonError(err: unknown): ProxyError {
  if (err instanceof JsonTooDeepError) return errors.badRequest(`Request body ${err.message}.`, null, 'json_too_deep');
  return errors.badJson(err instanceof Error ? err.message : String(err));
}

/** Parses a JSON object body; anything else is a 400 in the OpenAI shape. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonWithDepthLimit(body.toString('utf8'));
  } catch (err) {
    throw jsonError(err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw errors.badRequest('Request body must be a JSON object.', null, 'invalid_body');
  return value as Record<string, unknown>;
}
