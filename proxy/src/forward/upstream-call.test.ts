import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Pool } from 'undici';
import { readWholeBody, UpstreamCall, type BodySink } from './upstream-call.js';

/** What the server was asked, and on which client port (which connection). */
const served: Array<{ path: string | undefined; port: number | undefined }> = [];

/** A real engine-like server on loopback; each path shows one way an answer can go. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  served.push({ path: req.url, port: req.socket.remotePort });
  if (req.url?.startsWith('/small')) {
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
    res.end('{"ok":true}');
  } else if (req.url === '/big') {
    // 8 MiB in 64 KiB writes: more than the sockets between us can hold, so a paused sink must stall it.
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = 128;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    pump();
  } else if (req.url === '/cut') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
    setTimeout(() => res.socket?.destroy(), 20);
  } else if (req.url === '/slow') {
    setTimeout(() => res.end('late'), 300).unref();
  } else {
    res.writeHead(404).end();
  }
}

let server: Server;
let pool: Pool;
let origin: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer(handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  origin = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  pool = new Pool(origin, { connections: 4 });
});

afterAll(async () => {
  await pool.destroy();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (path: string) => new UpstreamCall(pool, { method: 'GET', path });

/** A sink that records what it was given; `accept` says whether it can take more now. */
function recorder(accept: (chunk: Buffer) => boolean = () => true) {
  const seen: { bytes: number; ended: boolean; error?: Error } = { bytes: 0, ended: false };
  let finish = () => undefined as void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const sink: BodySink = {
    data: (chunk) => {
      seen.bytes += chunk.length;
      return accept(chunk);
    },
    end: () => {
      seen.ended = true;
      finish();
    },
    error: (err) => {
      seen.error = err;
      finish();
    },
  };
  return { seen, finished, sink };
}

describe('one call to an engine', () => {
  it('resolves the head, then delivers a body that arrived with it once a sink is attached', async () => {
    const call = get('/small');
    const head = await call.head;
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe('application/json');
    expect(head.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    await new Promise((r) => setTimeout(r, 20)); // the body and its end are already in by now
    expect((await readWholeBody(call)).toString()).toBe('{"ok":true}');
  });

  it('passes non-2xx answers through as answers, not errors', async () => {
    const call = get('/nothing-here');
    expect((await call.head).statusCode).toBe(404);
    expect((await readWholeBody(call)).length).toBe(0);
  });

  it('stops reading from the engine while the sink is full, and carries on after resume', async () => {
    const call = get('/big');
    await call.head;
    let paused = true;
    const { seen, finished, sink } = recorder(() => !paused);
    call.pipe(sink);
    await new Promise((r) => setTimeout(r, 300));
    const whilePaused = seen.bytes;
    expect(whilePaused).toBeLessThan(8 * 1024 * 1024); // the engine could not push it all
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.bytes).toBe(whilePaused); // and nothing more came while paused
    paused = false;
    call.resume();
    await finished;
    expect(seen.ended).toBe(true);
    expect(seen.bytes).toBe(8 * 1024 * 1024);
  });

  it('reports a connection cut mid-body to the sink', async () => {
    const call = get('/cut');
    await call.head;
    const { seen, finished, sink } = recorder();
    call.pipe(sink);
    await finished;
    expect(seen.bytes).toBeGreaterThan(0);
    expect(seen.ended).toBe(false);
    expect(seen.error).toBeInstanceOf(Error);
  });

  it('aborted before the head, rejects the head with the given reason', async () => {
    const call = get('/slow');
    const reason = new Error('client left');
    setTimeout(() => call.abort(reason), 50);
    await expect(call.head).rejects.toBe(reason);
  });

  it('aborted while still queued for a connection, is never sent', async () => {
    const single = new Pool(origin, { connections: 1 });
    try {
      const first = new UpstreamCall(single, { method: 'GET', path: '/slow' });
      const queued = new UpstreamCall(single, { method: 'GET', path: '/small?queued' });
      queued.abort(new Error('gone'));
      await expect(queued.head).rejects.toThrow('gone');
      await first.head;
      expect((await readWholeBody(first)).toString()).toBe('late');
      await new Promise((r) => setTimeout(r, 50));
      expect(served.map((s) => s.path)).not.toContain('/small?queued');
    } finally {
      await single.destroy();
    }
  });

  it('a refused connection rejects the head with the socket error', async () => {
    const closed = new Pool('http://127.0.0.2:1', { connect: { timeout: 1000 } });
    const call = new UpstreamCall(closed, { method: 'GET', path: '/' });
    await expect(call.head).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await closed.destroy();
  });

  it('an abort after the body ended leaves the keep-alive connection for the next call', async () => {
    const single = new Pool(origin, { connections: 1 });
    try {
      const first = new UpstreamCall(single, { method: 'GET', path: '/small?first' });
      await first.head;
      await readWholeBody(first);
      first.abort(new Error('too late'));
      const second = new UpstreamCall(single, { method: 'GET', path: '/small?second' });
      await second.head;
      await readWholeBody(second);
      const portOf = (path: string) => served.find((s) => s.path === path)?.port;
      expect(portOf('/small?second')).toBe(portOf('/small?first'));
    } finally {
      await single.destroy();
    }
  });
});
