import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Bearer-key check as vLLM's AuthenticationMiddleware does it: only /v1 paths, never OPTIONS.
 * Keys are compared as SHA-256 digests with timingSafeEqual, so timing reveals neither content nor length.
 */
export class ApiKeyAuth {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.filter((k) => k !== '').map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  appliesTo(method: string | undefined, path: string): boolean {
    return this.enabled && method !== 'OPTIONS' && (path === '/v1' || path.startsWith('/v1/'));
  }

  accepts(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) return false;
    const presented = digest(match[1]!);
    let ok = false;
    // Compare against every key so the time taken doesn't depend on which one matched.
    for (const d of this.digests) ok = timingSafeEqual(d, presented) || ok;
    return ok;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
