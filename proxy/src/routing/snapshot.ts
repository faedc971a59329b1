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
  /** alias -> model as a Map: a client's model name must never reach Object.prototype ("constructor"). */
  private readonly aliases: ReadonlyMap<string, string>;
  private readonly derived = new Map<string, unknown>();
  /** Each engine's URL origin, parsed once per table rather than once per request. */
  private readonly origins = new Map<string, string>();

  constructor(readonly table: RoutingTable) {
    this.engines = new Map(table.engines.map((e) => [e.id, e]));
    this.aliases = new Map(Object.entries(table.aliases));
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
    const target = this.aliases.get(name);
    if (target !== undefined) return { model: target, alias: name };
    return undefined;
  }

  originOf(engine: EngineEntry): string {
    return this.origins.get(engine.id) ?? new URL(engine.url).origin;
  }

  /** Alias names with their models, in table order. */
  aliasEntries(): Array<[alias: string, model: string]> {
    return [...this.aliases];
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
