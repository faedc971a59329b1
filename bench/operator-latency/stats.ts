export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (no interpolation: every figure is a measured value). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return { n: sorted.length, min: sorted[0] ?? NaN, p50: at(50), p90: at(90), p99: at(99), max: sorted.at(-1) ?? NaN, mean };
}

export function formatTable(rows: { label: string; summary: Summary }[]): string {
  const cols = ['n', 'min', 'p50', 'p90', 'p99', 'max', 'mean'] as const;
  const width = Math.max(...rows.map((r) => r.label.length), 10);
  const head = `${''.padEnd(width)}  ${cols.map((c) => c.padStart(7)).join('')}`;
  const lines = rows.map(
    (r) => `${r.label.padEnd(width)}  ${cols.map((c) => (c === 'n' ? String(r.summary.n) : r.summary[c].toFixed(1)).padStart(7)).join('')}`,
  );
  return [head, ...lines].join('\n');
}
