import type { IncomingMessage } from 'node:http';
import { jsonError } from '../http/body.js';
import { errors } from '../http/errors.js';
import { parseJsonWithDepthLimit } from '../http/json-depth.js';

/** Read a small JSON request body (batch create), refusing more than `limit` bytes. */
export async function readJsonBody(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw errors.tooLarge(limit);
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw errors.badRequest('The request body must be a JSON object.');
  try {
    return parseJsonWithDepthLimit(text);
  } catch (err) {
    throw jsonError(err);
  }
}
