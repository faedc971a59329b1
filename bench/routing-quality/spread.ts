import { formatColumns, type PolicyReport, type TargetCheck } from './report.js';

/** How one policy's repeated runs of the same workload spread. */
export interface PolicySpread {
  policy: string;
  runs: number;
  bestMeanTtftMs: number;
  medianMeanTtftMs: number;
  worstMeanTtftMs: number;
  /** Worst mean TTFT / best mean TTFT over the runs. */
  worstOverBest: number;
  hitRateMin: number;
  hitRateMedian: number;
  hitRateMax: number;
  /** The oracle's median hit rate minus this policy's worst (lowest) hit rate; NaN without an oracle. */
  worstHitRateBelowOracle: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The run whose mean TTFT is the median (the lower middle one for an even count): the table's row. */
export function medianRun(runs: readonly PolicyReport[]): PolicyReport {
  const sorted = [...runs].sort((a, b) => a.meanTtftMs - b.meanTtftMs);
  return sorted[(sorted.length - 1) >> 1]!;
}

export function spreadOf(runs: readonly PolicyReport[], oracleHitRate: number): PolicySpread {
  const ttfts = runs.map((r) => r.meanTtftMs);
  const hits = runs.map((r) => r.hitRate);
  const best = Math.min(...ttfts);
  const worst = Math.max(...ttfts);
  return {
    policy: runs[0]!.policy,
    runs: runs.length,
    bestMeanTtftMs: best,
    medianMeanTtftMs: median(ttfts),
    worstMeanTtftMs: worst,
    worstOverBest: worst / best,
    hitRateMin: Math.min(...hits),
    hitRateMedian: median(hits),
    hitRateMax: Math.max(...hits),
    worstHitRateBelowOracle: oracleHitRate - Math.min(...hits),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

const COLUMNS: Array<[string, (s: PolicySpread) => string]> = [
  ['policy', (s) => s.policy],
  ['runs', (s) => String(s.runs)],
  ['mean TTFT ms best/median/worst', (s) => `${s.bestMeanTtftMs.toFixed(0)}/${s.medianMeanTtftMs.toFixed(0)}/${s.worstMeanTtftMs.toFixed(0)}`],
  ['worst/best', (s) => s.worstOverBest.toFixed(2)],
  ['hit rate min/median/max', (s) => `${pct(s.hitRateMin)}/${pct(s.hitRateMedian)}/${pct(s.hitRateMax)}`],
  ['oracle - worst hit rate', (s) => (Number.isNaN(s.worstHitRateBelowOracle) ? '-' : s.worstHitRateBelowOracle.toFixed(3))],
];

export function formatSpread(title: string, spreads: readonly PolicySpread[]): string {
  return formatColumns(title, COLUMNS, spreads);
}

/**
 * Issue 17's stability targets for the cache-aware policies: the worst run's mean TTFT within 1.25x
 * of the best run's, and the worst run's hit rate within 0.05 of the session-sticky oracle's.
 */
export function checkStability(spreads: readonly PolicySpread[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const s of spreads) {
    if (s.policy !== 'prefixaware' && s.policy !== 'kvaware') continue;
    if (s.runs > 1) checks.push({ name: `${s.policy} worst/best mean TTFT over ${s.runs} runs <= 1.25`, value: s.worstOverBest, limit: 1.25, pass: s.worstOverBest <= 1.25 });
    if (!Number.isNaN(s.worstHitRateBelowOracle)) {
      checks.push({ name: `${s.policy} oracle hit rate - worst run's hit rate <= 0.05`, value: s.worstHitRateBelowOracle, limit: 0.05, pass: s.worstHitRateBelowOracle <= 0.05 });
    }
  }
  return checks;
}
