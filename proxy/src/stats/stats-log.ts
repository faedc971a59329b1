import type { Logger } from '@vllm-router/common';
import type { EngineReport } from './engine-report.js';

const ms = (seconds: number | null) => (seconds === null ? '-' : (seconds * 1000).toFixed(0));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(0)}%`);
const num = (v: number | null, digits = 0) => (v === null ? '-' : v.toFixed(digits));

const COLUMNS: Array<[header: string, cell: (r: EngineReport) => string]> = [
  ['engine', (r) => r.engine_id],
  ['health', (r) => (!r.ready ? 'not-ready' : r.outlier?.ejected ? 'EJECTED' : r.healthy ? 'ok' : 'FAILING')],
  ['qps', (r) => num(r.requests.qps, 2)],
  ['in_flight', (r) => String(r.requests.in_flight)],
  ['finished', (r) => String(r.requests.finished)],
  ['errors', (r) => String(r.requests.errors)],
  ['4xx', (r) => String(r.requests.client_errors)],
  ['ttft_ms', (r) => ms(r.requests.avg_ttft)],
  ['itl_ms', (r) => ms(r.requests.avg_itl)],
  ['latency_ms', (r) => ms(r.requests.avg_latency)],
  ['tokens_in/out', (r) => `${r.requests.prompt_tokens}/${r.requests.completion_tokens}`],
  ['running', (r) => num(r.engine.running)],
  ['waiting', (r) => num(r.engine.waiting)],
  ['kv', (r) => pct(r.engine.kv_cache_usage)],
  ['prefix_hit', (r) => pct(r.engine.prefix_cache_hit_rate)],
  ['metrics', (r) => (r.engine.stale ? `stale (${r.engine.stale_reason ?? 'unknown'})` : 'fresh')],
];

/** The engines as an aligned text table, one row each. */
export function formatStatsTable(reports: readonly EngineReport[], windowSeconds: number): string {
  const rows = [COLUMNS.map(([h]) => h), ...reports.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
  return [`engine stats (request window ${windowSeconds} s, ${reports.length} engines)`, ...lines].join('\n');
}

/** --log-stats: the table in the log every interval. */
export class StatsLogger {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly reports: () => EngineReport[],
    private readonly windowSeconds: number,
  ) {}

  logNow(): void {
    this.logger.info(formatStatsTable(this.reports(), this.windowSeconds));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.logNow(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
