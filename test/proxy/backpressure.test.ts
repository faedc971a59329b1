import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRouter, type RunningRouter } from '../helpers/router.js';

const CHUNK = Buffer.alloc(64 * 1024, 'a');
const TOTAL_CHUNKS = 2048; // 128 MiB: far more than the sockets between engine and client can hold

/** An engine that streams a huge answer as fast as its socket takes it, and counts what it got out. */
class FloodEngine {
  written = 0;
  finished = false;
  private readonly server: Server = createServer((req, res) => this.answer(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.3', resolve));
    return `http://127.0.0.3:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.method !== 'POST') return void res.writeHead(404).end(); // e.g. the router's /metrics scrape
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let left = TOTAL_CHUNKS;
    const pump = () => {
      while (left > 0) {
        left--;
        this.written += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once('drain', pump);
      }
      res.end(() => (this.finished = true));
    };
    pump();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a slow client reading a large streamed answer', () => {
  let engine: FloodEngine;
  let router: RunningRouter;

  beforeAll(async () => {
    engine = new FloodEngine();
    const url = await engine.start();
    router = await startRouter({ engines: [{ url, models: ['m1'] }] });
  });

  afterAll(async () => {
    await router.close();
    await engine.close();
  });

  it('holds the engine back while the client is not reading, then delivers every byte', async () => {
    const body = JSON.stringify({ model: 'm1', prompt: 'flood', stream: true });
    const { port } = new URL(router.url);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' } }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    expect(response.statusCode).toBe(200);
    response.pause();
    await sleep(600);
    // Only what the sockets and stream buffers on the way hold has left the engine; the router did not
    // soak the answer up in memory (it would have taken all 128 MiB in this time).
    const whileStalled = engine.written;
    expect(whileStalled).toBeLessThan(32 * 1024 * 1024); // ~8 MiB here; all 128 MiB without backpressure
    await sleep(300);
    expect(engine.written).toBe(whileStalled);
    expect(engine.finished).toBe(false);

    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise<void>((resolve, reject) => {
      response.once('end', resolve);
      response.once('error', reject);
      response.resume();
    });
    expect(received).toBe(TOTAL_CHUNKS * CHUNK.length);
    expect(engine.finished).toBe(true);
  }, 30_000);
});
