import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fetchMetricsText } from './engine-scraper.js';

const METRICS = '# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="m"} 0\n';

/** A /metrics server that drops a kept-alive connection when its `dropOn`-th request arrives on it. */
function metricsServer(dropOn: (requestOnSocket: number) => boolean): Promise<{ server: Server; url: string; drops: () => number; connections: () => number }> {
  const perSocket = new WeakMap<Socket, number>();
  let drops = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (dropOn(n)) {
      drops++;
      req.socket.destroy();
      return;
    }
    res.end(METRICS);
  });
  server.on('connection', () => connections++);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, drops: () => drops, connections: () => connections }),
    ),
  );
}

describe('reading an engine\'s /metrics', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  // Regression: a real vLLM dropped the router's pooled connection as a scrape went out; the scrape
  // failed as "unreachable" and the engine was ejected from routing though it served well.
  it('tries once more on a new connection when the engine drops the kept-alive one', async () => {
    const s = await metricsServer((n) => n === 2);
    server = s.server;
    await expect(fetchMetricsText(s.url, 2000)).resolves.toBe(METRICS);
    await new Promise((r) => setImmediate(r)); // the first connection back in the pool
    await expect(fetchMetricsText(s.url, 2000)).resolves.toBe(METRICS);
    expect(s.drops()).toBe(1);
    expect(s.connections()).toBe(2);
  });

  it('fails when the new connection breaks too', async () => {
    const s = await metricsServer(() => true);
    server = s.server;
    await expect(fetchMetricsText(s.url, 2000)).rejects.toThrow();
    expect(s.drops()).toBe(2);
  });

  it('does not retry a refused connection', async () => {
    const s = await metricsServer(() => false);
    const url = s.url;
    await new Promise((r) => s.server.close(r));
    await expect(fetchMetricsText(url, 2000)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
