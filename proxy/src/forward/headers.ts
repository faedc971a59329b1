import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 hop-by-hop headers: meaningful for one connection only, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const NONE: ReadonlySet<string> = new Set();

function connectionListed(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): ReadonlySet<string> {
  const raw = headers.connection;
  if (raw === undefined || raw === 'keep-alive' || raw === 'close') return NONE;
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  return new Set(value ? value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : []);
}

/** Client request headers to send upstream: hop-by-hop, host and length dropped (the body may be rewritten). */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  requestId: string,
  bodyLength: number,
  backendApiKey: string | undefined,
): Record<string, string> {
  const listed = connectionListed(incoming);
  const out: Record<string, string> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    if (name === 'host' || name === 'content-length' || name === 'expect') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out['x-request-id'] = requestId;
  out['content-length'] = String(bodyLength);
  // The reference forwards the client's Authorization unchanged; a configured backend key replaces it.
  if (backendApiKey) out.authorization = `Bearer ${backendApiKey}`;
  return out;
}

/** Engine response headers to send to the client, minus hop-by-hop, plus our request id. */
export function clientResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  requestId: string,
): OutgoingHttpHeaders {
  const listed = connectionListed(upstream);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  out['x-request-id'] = requestId;
  return out;
}
