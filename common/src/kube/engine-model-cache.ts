import { Backoff, type BackoffOptions } from './backoff.js';

export type ModelLookup = { ok: true; models: string[] } | { ok: false; reason: string };

/** One engine to learn models of: `key` names it (a pod UID), `version` changes when it may have (a resourceVersion). */
export interface EngineRef {
  key: string;
  version: string;
  url: string;
}

interface Entry {
  version: string;
  url: string;
  result: ModelLookup;
  /** For failures: no new attempt before this time, even for a new version. */
  retryAt: number;
  backoff: Backoff;
}

export interface ModelCacheOptions {
  retry?: BackoffOptions;
  now?: () => number;
}

export interface ModelLookups {
  results: Map<string, ModelLookup>;
  /** When a failed lookup may be retried; undefined when nothing failed. */
  retryInMs?: number;
}

/**
 * Models of each engine, fetched once per (engine, version, url) and reused until either changes.
 * A failed fetch is retried after a per-engine backoff (or at once when the engine changes) (the caller schedules a new lookup at
 * `retryInMs`). Engines not named in a lookup are forgotten, which bounds memory.
 */
export class EngineModelCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    private readonly fetchModels: (url: string) => Promise<string[]>,
    private readonly options: ModelCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async lookup(engines: readonly EngineRef[]): Promise<ModelLookups> {
    const wanted = new Set(engines.map((e) => e.key));
    for (const key of this.entries.keys()) if (!wanted.has(key)) this.entries.delete(key);

    const now = this.now();
    const results = new Map<string, ModelLookup>();
    let retryAt: number | undefined;
    await Promise.all(
      engines.map(async (engine) => {
        let entry = this.entries.get(engine.key);
        // A new version or URL asks again at once; the same one waits out a failure's backoff.
        const usable = entry && entry.url === engine.url && entry.version === engine.version && (entry.result.ok || now < entry.retryAt);
        if (!usable || !entry) entry = await this.fetch(engine, entry);
        results.set(engine.key, entry.result);
        if (!entry.result.ok) retryAt = Math.min(retryAt ?? Infinity, entry.retryAt);
      }),
    );
    return { results, ...(retryAt !== undefined ? { retryInMs: Math.max(0, retryAt - this.now()) } : {}) };
  }

  private async fetch(engine: EngineRef, previous: Entry | undefined): Promise<Entry> {
    const backoff = previous?.backoff ?? new Backoff(this.options.retry ?? { initialMs: 500, maxMs: 30_000 });
    let entry: Entry;
    try {
      const models = await this.fetchModels(engine.url);
      backoff.reset();
      entry = { version: engine.version, url: engine.url, result: { ok: true, models }, retryAt: 0, backoff };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      entry = { version: engine.version, url: engine.url, result: { ok: false, reason }, retryAt: this.now() + backoff.next(), backoff };
    }
    this.entries.set(engine.key, entry);
    return entry;
  }
}
