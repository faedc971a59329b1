import type { RunOutcome } from './run-policy.js';
import type { Workload } from './workload.js';

export interface PolicyReport {
  policy: string;
  requests: number;
  errors: number;
  /** Prefix-cache hits / prompt tokens looked up, over all simulators. */
  hitRate: number;
  meanTtftMs: number;
  p50TtftMs: number;
  p90TtftMs: number;
  /** Completed requests per second over the run. */
  throughput: number;
  /** Requests of the busiest engine / mean requests per engine. */
  busiestShare: number;
  engineRequests: number[];
  /** Documents whose first request each engine served: where each document first lived. */
  engineDocuments: number[];
  meanEngineQueueMs: number;
  meanEnginePrefillMs: number;
  wallSeconds: number;
  timedOut: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Per engine (in `engines` order), how many documents it served the first turn of the first session of. */
function documentsPerEngine(run: RunOutcome, workload: Workload): number[] {
  const firstTurnEngine = new Map(run.results.filter((r) => r.ok && r.turn === 0).map((r) => [r.session, r.engine]));
  const home = new Map<number, string>();
  for (const session of workload.sessions) {
    const engine = firstTurnEngine.get(session.id);
    if (engine !== undefined && !home.has(session.document)) home.set(session.document, engine);
  }
  const homes = [...home.values()];
  return run.engines.map((e) => homes.filter((h) => h === e.id).length);
}

export function summarize(run: RunOutcome, workload: Workload): PolicyReport {
  const ok = run.results.filter((r) => r.ok && r.ttftMs >= 0);
  const ttfts = ok.map((r) => r.ttftMs).sort((a, b) => a - b);
  const hits = run.engines.reduce((a, e) => a + e.prefixCacheHits, 0);
  const queries = run.engines.reduce((a, e) => a + e.prefixCacheQueries, 0);
  const perEngine = run.engines.map((e) => e.requests);
  const weights = run.engines.map((e) => e.requests);
  const weighted = (f: (e: (typeof run.engines)[number]) => number) =>
    run.engines.reduce((a, e, i) => a + f(e) * weights[i]!, 0) / Math.max(1, weights.reduce((a, b) => a + b, 0));
  return {
    policy: run.policy,
    requests: run.results.length,
    errors: run.results.filter((r) => !r.ok).length,
    hitRate: queries > 0 ? hits / queries : 0,
    meanTtftMs: mean(ttfts),
    p50TtftMs: percentile(ttfts, 0.5),
    p90TtftMs: percentile(ttfts, 0.9),
    throughput: ok.length / (run.wallMs / 1000),
    busiestShare: Math.max(...perEngine) / Math.max(1e-9, mean(perEngine)),
    engineRequests: perEngine,
    engineDocuments: documentsPerEngine(run, workload),
    meanEngineQueueMs: weighted((e) => e.meanQueueMs),
    meanEnginePrefillMs: weighted((e) => e.meanPrefillMs),
    wallSeconds: run.wallMs / 1000,
    timedOut: run.timedOut,
  };
}

const COLUMNS: Array<[string, (r: PolicyReport) => string]> = [
  ['policy', (r) => r.policy],
  ['requests', (r) => `${r.requests - r.errors}/${r.requests}`],
  ['hit rate', (r) => `${(r.hitRate * 100).toFixed(1)}%`],
  ['mean TTFT ms', (r) => r.meanTtftMs.toFixed(0)],
  ['p50 TTFT ms', (r) => r.p50TtftMs.toFixed(0)],
  ['p90 TTFT ms', (r) => r.p90TtftMs.toFixed(0)],
  ['req/s', (r) => r.throughput.toFixed(2)],
  ['busiest/mean', (r) => r.busiestShare.toFixed(2)],
  ['per engine', (r) => r.engineRequests.join('/')],
  ['docs per engine', (r) => r.engineDocuments.join('/')],
  ['queue ms', (r) => r.meanEngineQueueMs.toFixed(0)],
  ['prefill ms', (r) => r.meanEnginePrefillMs.toFixed(0)],
];

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatColumns<T>(title: string, columns: ReadonlyArray<[string, (row: T) => string]>, items: readonly T[]): string {
  const rows = [columns.map(([h]) => h), ...items.map((r) => columns.map(([, f]) => f(r)))];
  const widths = columns.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [title, line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function formatTable(title: string, reports: readonly PolicyReport[]): string {
  return formatColumns(title, COLUMNS, reports);
}

export interface TargetCheck {
  name: string;
  value: number;
  limit: number;
  pass: boolean;
}

/** The targets at saturating load. */
export function checkTargets(reports: readonly PolicyReport[]): TargetCheck[] {
  const by = (p: string) => reports.find((r) => r.policy === p);
  const pa = by('prefixaware');
  const rr = by('roundrobin');
  const oracle = by('oracle');
  const checks: TargetCheck[] = [];
  if (pa && rr) checks.push({ name: 'prefixaware mean TTFT / roundrobin mean TTFT <= 0.5', value: pa.meanTtftMs / rr.meanTtftMs, limit: 0.5, pass: pa.meanTtftMs / rr.meanTtftMs <= 0.5 });
  if (pa && oracle) checks.push({ name: 'prefixaware hit rate / oracle hit rate >= 0.9', value: pa.hitRate / oracle.hitRate, limit: 0.9, pass: pa.hitRate / oracle.hitRate >= 0.9 });
  if (pa) checks.push({ name: 'prefixaware busiest engine / mean load <= 1.5', value: pa.busiestShare, limit: 1.5, pass: pa.busiestShare <= 1.5 });
  return checks;
}
