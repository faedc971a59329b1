import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTABLE = /^[\x21-\x7e]{1,200}$/;

/** The client's X-Request-Id when it is sane printable ASCII, else a new uuid4 in hex (as vLLM does). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  if (value && ACCEPTABLE.test(value)) return value;
  return randomUUID().replaceAll('-', '');
}
