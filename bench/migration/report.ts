import type { MigrationBenchConfig } from './args.js';

export interface Percentiles {
  p50: number;
  p99: number;
  count: number;
}

export interface ModeResult {
  mode: 'migration on' | 'migration off';
  attempts: number;
  streams: number;
  completed: number;
  exact: number;
  /** Streams whose chunks came from more than one engine. */
  moved: number;
  kills: number;
  normalGapMs: Percentiles;
  migrationGapMs: Percentiles;
  /** Migration gap minus the median ordinary gap of the same run: how much later the next token came. */
  addedGapMs: Percentiles;
  /** The router's vllm_router_request_migration_pause_seconds mean: from the break to the first chunk of the continuation. */
  routerPauseMeanMs: number;
  /** vllm_router_request_migrations_total by reason/outcome, from the router's /metrics. */
  migrations: Record<string, number>;
  errors: Record<string, number>;
}

export interface MigrationBenchResult {
  config: MigrationBenchConfig;
  machine: { cpus: number; loadBefore: number[]; loadAfter: number[] };
  modes: ModeResult[];
}

/** Nearest-rank percentiles. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : Number.NaN);
  return { p50: at(50), p99: at(99), count: sorted.length };
}

const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)} %` : '-');
const ms = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} ms`);

export function formatTable(result: MigrationBenchResult): string {
  const rows = result.modes.map((m) =>
    [m.mode, String(m.kills), String(m.streams), `${m.completed} (${pct(m.completed, m.streams)})`, pct(m.exact, m.streams), String(m.moved), `${ms(m.addedGapMs.p50)} / ${ms(m.addedGapMs.p99)}`, `${ms(m.migrationGapMs.p50)} / ${ms(m.migrationGapMs.p99)}`, `${ms(m.normalGapMs.p50)} / ${ms(m.normalGapMs.p99)}`, ms(m.routerPauseMeanMs)].join(' | '),
  );
  const c = result.config;
  return [
    `${c.engines} engines, ${c.concurrency} streams at a time, ${c.seconds} s per mode, an engine killed every ~${c.killEveryMs} ms (down ${c.downMs} ms), ${c.outputTokens} tokens per answer at ${c.tokenDelayMs} ms/token`,
    '',
    '| mode | kills | streams | completed | exact text | moved | added gap p50 / p99 | gap at migration p50 / p99 | ordinary gap p50 / p99 | router pause mean |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
    '',
    ...result.modes.map((m) => `${m.mode}: migrations ${JSON.stringify(m.migrations)}; client errors ${JSON.stringify(m.errors)}`),
  ].join('\n');
}
