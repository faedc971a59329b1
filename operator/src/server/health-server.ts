import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  /** Alive: the process can serve (it always can while this answers). */
  healthy(): string | undefined;
  /** Ready: caches are synced; undefined means ready, a string says why not. */
  ready(): string | undefined;
}

/** /healthz, /readyz and /metrics on the metrics port. */
export class HealthServer {
  private readonly server: Server;

  constructor(registry: Registry, checks: HealthChecks) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const answer = (problem: string | undefined) => {
        res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' });
        res.end(problem ? `${problem}\n` : 'ok\n');
      };
      if (path === '/healthz') return answer(checks.healthy());
      if (path === '/readyz') return answer(checks.ready());
      if (path === '/metrics') {
        void registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500);
            res.end(String(err));
          },
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
