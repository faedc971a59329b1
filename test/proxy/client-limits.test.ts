import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import winston from 'winston';
import Transport from 'winston-transport';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { isOpenAIErrorBody, parseResponses, rawExchange } from '../helpers/raw-http.js';

/** Collects log entries so a test can say what was (not) logged at ERROR. */
class MemoryTransport extends Transport {
  readonly entries: Array<{ level: string; message: string }> = [];
  override log(info: { level: string; message: string }, next: () => void): void {
    this.entries.push({ level: info.level, message: info.message });
    next();
  }
}

describe('client limits: deadlines, header limits, connections per client', () => {
  let sim: EngineSim;
  let router: RunningRouter;
  let port: number;
  const memory = new MemoryTransport();
  const HOST = '127.0.0.1';

  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'sim', host: '127.0.0.2', models: ['m'] });
    router = await startRouter(
      { engines: [{ url: sim.url, models: ['m'] }], logger: winston.createLogger({ level: 'debug', transports: [memory] }) },
      { requestHeaderTimeoutMs: 400, requestBodyTimeoutMs: 400, maxHeaderCount: 20, maxHeaderBytes: 4096, maxConnectionsPerClient: 8 },
    );
    port = Number(new URL(router.url).port);
  });

  afterAll(async () => {
    await router.close();
    await sim.close();
  });

  const faults = async (kind: string): Promise<number> => {
    const text = await (await fetch(`${router.url}/metrics`)).text();
    const m = new RegExp(`^vllm_router_client_faults_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  it('cuts a client that sends half its headers and stalls: 408 in the OpenAI shape, counted', async () => {
    const before = await faults('header_timeout');
    const { bytes, closedByServer } = await rawExchange(HOST, port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow', { timeoutMs: 5000 });
    expect(closedByServer).toBe(true);
    const [response] = parseResponses(bytes).responses;
    expect(response?.status).toBe(408);
    expect(isOpenAIErrorBody(response!.body)).toBe(true);
    expect(await faults('header_timeout')).toBe(before + 1);
  });

  it('closes a connection that never sends a byte without an unasked answer, counted as idle', async () => {
    const before = await faults('idle_connection');
    const { bytes, closedByServer } = await rawExchange(HOST, port, '', { timeoutMs: 5000 });
    expect(closedByServer).toBe(true);
    expect(bytes.length).toBe(0);
    expect(await faults('idle_connection')).toBe(before + 1);
  });

  it('cuts a client whose body trickles in too slowly: 408, counted, the connection closed', async () => {
    const before = await faults('body_timeout');
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n';
    const pieces = [head, ...Array.from({ length: 20 }, () => ' ')];
    const started = Date.now();
    const { bytes, closedByServer } = await rawExchange(HOST, port, '', { pieces, pauseMs: 100, timeoutMs: 5000 });
    expect(closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    const [response] = parseResponses(bytes).responses;
    expect(response?.status).toBe(408);
    expect(JSON.parse(response!.body.toString())).toMatchObject({ error: { code: 'request_timeout' } });
    expect(await faults('body_timeout')).toBe(before + 1);
  });

  it('a body that arrives in time is served as usual', async () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { bytes } = await rawExchange(HOST, port, '', { pieces: [head, body.slice(0, 10), body.slice(10)], pauseMs: 50 });
    expect(parseResponses(bytes).responses[0]?.status).toBe(200);
  });

  it('refuses more header fields than allowed with 431', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const { bytes } = await rawExchange(HOST, port, `GET /health HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n`);
    const [response] = parseResponses(bytes).responses;
    expect(response?.status).toBe(431);
    expect(JSON.parse(response!.body.toString())).toMatchObject({ error: { code: 'too_many_headers' } });
  });

  it('refuses headers larger than allowed with 431', async () => {
    const { bytes } = await rawExchange(HOST, port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    const [response] = parseResponses(bytes).responses;
    expect(response?.status).toBe(431);
    expect(isOpenAIErrorBody(response!.body)).toBe(true);
  });

  it('caps open connections per client address: one more is answered 429, and room comes back when they close', async () => {
    // A router of its own, so only this test's raw sockets count against the cap.
    const capped = await startRouter({ engines: [{ url: sim.url, models: ['m'] }] }, { maxConnectionsPerClient: 4 });
    const cappedPort = Number(new URL(capped.url).port);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const s = connect({ host: HOST, port: cappedPort });
        s.on('error', () => undefined);
        await new Promise<void>((r) => s.once('connect', () => r()));
        sockets.push(s);
      }
      await eventually(() => capped.app.http.openConnections === 4);
      const { bytes } = await rawExchange(HOST, cappedPort, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const [response] = parseResponses(bytes).responses;
      expect(response?.status).toBe(429);
      expect(JSON.parse(response!.body.toString())).toMatchObject({ error: { code: 'too_many_connections' } });
      for (const s of sockets) s.destroy();
      await eventually(() => capped.app.http.openConnections === 0);
      const again = await rawExchange(HOST, cappedPort, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(parseResponses(again.bytes).responses[0]?.status).toBe(200);
      const metrics = await (await fetch(`${capped.url}/metrics`)).text();
      expect(metrics).toMatch(/^vllm_router_client_faults_total\{kind="connection_limit"\} 1$/m);
    } finally {
      for (const s of sockets) s.destroy();
      await capped.close();
    }
  });

  it('logs a client that leaves mid-body at debug, not as an ERROR internal_error', async () => {
    const before = await faults('client_aborted');
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model":"m",';
    await new Promise<void>((resolve) => {
      const s = connect({ host: HOST, port }, () => {
        s.write(head);
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 50);
      });
      s.on('error', () => undefined);
    });
    await eventually(async () => (await faults('client_aborted')) === before + 1);
    expect(memory.entries.filter((e) => e.level === 'error')).toEqual([]);
    expect(memory.entries.some((e) => e.level === 'debug' && e.message === 'client closed the request')).toBe(true);
  });
});
