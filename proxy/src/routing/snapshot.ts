import type { EngineEntry, RoutingTable } from '@vllm-router/common/routing-table';

export interface ResolvedModel {
  /** The real model name the engine serves. */
  model: string;
  /** The name the client asked for, when it was an alias. */
  alias?: string;
}

/**
 * An immutable view of one routing table, built once per table and swapped in atomically.
 * Requests keep the snapshot they started with, so a reload never changes a request mid-flight.
 */
export class RoutingSnapshot {
  readonly engines: ReadonlyMap<string, EngineEntry>;
  private readonly byModel = new Map<string, EngineEntry[]>();
  private readonly derived = new Map<string, unknown>();
  /** Each engine's URL origin, parsed once per table rather than once per request. */
  private readonly origins = new Map<string, string>();

  constructor(readonly table: RoutingTable) {
    this.engines = new Map(table.engines.map((e) => [e.id, e]));
    for (const e of table.engines) this.origins.set(e.id, new URL(e.url).origin);
    for (const engine of table.engines)
      for (const model of engine.models) {
        const list = this.byModel.get(model);
        if (list) list.push(engine);
        else this.byModel.set(model, [engine]);
      }
  }

  resolve(name: string): ResolvedModel | undefined {
    if (this.byModel.has(name)) return { model: name };
    const target = this.table.aliases[name];
    if (target !== undefined) return { model: target, alias: name };
    return undefined;
  }

  originOf(engine: EngineEntry): string {
    return this.origins.get(engine.id) ?? new URL(engine.url).origin;
  }

  /** Every engine that lists the model, ready or not. */
  enginesServing(model: string): readonly EngineEntry[] {
    return this.byModel.get(model) ?? [];
  }

  /** Models with at least one engine, in first-seen order. */
  models(): string[] {
    return [...this.byModel.keys()];
  }

  /** Memoise a value derived from this snapshot (hash rings, ...); it dies with the snapshot. */
  memo<T>(key: string, build: () => T): T {
    if (this.derived.has(key)) return this.derived.get(key) as T;
    const value = build();
    this.derived.set(key, value);
    return value;
  }
}
