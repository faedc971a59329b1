import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface InteractiveSample {
  /** performance.now() when the request was due. */
  dueAt: number;
  /** ms from the due time to the end of the response (open loop: a late send counts against the target). */
  latencyMs: number;
  ok: boolean;
}

/**
 * A steady open-loop load of short chat requests: request i is due at t0 + i/rps whatever happened
 * to earlier ones. Runs until stop(); returns every sample.
 */
export class InteractiveLoad {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly samples: InteractiveSample[] = [];
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly url: string,
    private readonly body: string,
    private readonly rps: number,
  ) {}

  start(): void {
    this.running = true;
    const t0 = performance.now();
    const interval = 1000 / this.rps;
    let sent = 0;
    const tick = () => {
      if (!this.running) return;
      const now = performance.now();
      while (t0 + sent * interval <= now) this.launch(t0 + sent++ * interval);
      this.timer = setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  }

  /** Stop sending, wait for what is in flight, and hand back the samples. */
  async stop(): Promise<InteractiveSample[]> {
    this.running = false;
    clearTimeout(this.timer);
    await Promise.all(this.pending);
    this.agent.destroy();
    return this.samples;
  }

  private launch(dueAt: number): void {
    const target = new URL('/v1/chat/completions', this.url);
    const done = new Promise<void>((resolve) => {
      const finish = (ok: boolean) => {
        this.samples.push({ dueAt, latencyMs: performance.now() - dueAt, ok });
        resolve();
      };
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json' }, timeout: 30_000 },
        (res) => {
          res.resume();
          res.once('end', () => finish(res.statusCode === 200));
          res.once('error', () => finish(false));
        },
      );
      req.once('error', () => finish(false));
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.end(this.body);
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }
}
