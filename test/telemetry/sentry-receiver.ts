import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One item of an envelope the SDK sent: its header (type: event, span, ...) and payload; span containers are opened into one item per span. */
export interface EnvelopeItem {
  type: string;
  payload: Record<string, unknown>;
}

export interface SentryReceiver {
  /** A DSN pointing at this receiver (project 42). */
  dsn: string;
  items(): EnvelopeItem[];
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint that accepts what a Sentry SDK posts to `/api/<project>/envelope/`: newline
 * separated JSON (envelope header, then item header and payload pairs), gzip or not.
 */
export async function startSentryReceiver(host = '127.0.0.1'): Promise<SentryReceiver> {
  const items: EnvelopeItem[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      let body = Buffer.concat(parts);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (req.method === 'POST' && /^\/api\/42\/envelope\/?/.test(req.url ?? '')) {
        const lines = body.toString('utf8').split('\n').filter((l) => l.trim() !== '');
        for (let i = 1; i + 1 < lines.length; i += 2) {
          const header = JSON.parse(lines[i]!) as { type: string };
          const payload = JSON.parse(lines[i + 1]!) as Record<string, unknown>;
          // SDK 10+ streams spans as one container item (span v2) holding several spans.
          if (header.type === 'span' && Array.isArray(payload.items)) for (const span of payload.items as Record<string, unknown>[]) items.push({ type: 'span', payload: span });
          else items.push({ type: header.type, payload });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://publickey@${host}:${port}/42`,
    items: () => [...items],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
