import type { IncomingMessage } from 'node:http';
import { simErrors } from './errors.js';

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw simErrors.tooLarge(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
