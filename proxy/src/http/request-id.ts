import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTABLE = /^[\x21-\x7e]{1,200}$/;

/** 16 random hex digits per process, then a counter: unique across replicas, no entropy call per request. */
const processPrefix = randomBytes(8).toString('hex');
let counter = 0;

export function newRequestId(): string {
  counter = (counter + 1) % 0x1_0000_0000_0000;
  return processPrefix + counter.toString(16).padStart(16, '0');
}

/** The client's X-Request-Id when it is sane printable ASCII, else a new 32-hex-digit id (as vLLM's uuid4 hex). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  if (value && ACCEPTABLE.test(value)) return value;
  return newRequestId();
}
