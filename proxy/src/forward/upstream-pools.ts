import { Pool } from 'undici';

export interface PoolSettings {
  connectTimeoutMs: number;
  /** Time allowed for the engine's first byte (headers), and for any later gap between chunks. */
  firstByteTimeoutMs: number;
}

/**
 * One keep-alive connection pool per engine origin, shared by every snapshot that routes there.
 * Pools of engines that left the table are closed gracefully: in-flight requests finish first.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly settings: PoolSettings) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { timeout: this.settings.connectTimeoutMs },
        headersTimeout: this.settings.firstByteTimeoutMs,
        bodyTimeout: this.settings.firstByteTimeoutMs,
        // Idle keep-alive sockets are closed by us before the engine does: vLLM's server (uvicorn)
        // drops them after 5 s without saying so in a Keep-Alive header, and a request sent on a
        // socket the engine is closing fails ("other side closed"), which looks like a dead engine.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 120_000,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Close pools whose origin is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [origin, pool] of this.pools)
      if (!keep.has(origin)) {
        this.pools.delete(origin);
        void pool.close().catch(() => undefined);
      }
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }

  async destroyAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.destroy()));
  }
}
