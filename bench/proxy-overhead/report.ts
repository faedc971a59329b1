import type { Measurements } from './measure.js';
import type { PacedResult } from './paced-types.js';
import { median } from './stats.js';
import type { Target, TargetKey } from './targets.js';

/** One row of the result table; every number is the median over rounds, in ms unless named rps. */
export interface Row {
  key: TargetKey;
  label: string;
  note: string;
  maxRps: number;
  /** Median over rounds of (this target's rps / the bare node:http proxy's rps in the same round). */
  ratioToBare: number;
  /** CPU time of the target's process per request during the wrk runs (direct: the upstream's). */
  cpuUsPerRequest: number;
  /** Share of one core the target's process used during the fixed-rate runs. */
  cpuPercentAtRate: number;
  p50: number;
  p99: number;
  /** Median over rounds of (this target's percentile - direct's percentile in the same round). */
  addedP50: number;
  addedP99: number;
  /** The paced generator's own send lag p99: large values mean the machine was busy (noise). */
  genLagP99: number;
  ttfcP50: number;
  ttfcAddedP50: number;
  ttfcAddedP99: number;
  failures: number;
  perRound: { rps: number[]; p50: number[]; p99: number[]; ttfcP50: number[] };
}

export interface Check {
  name: string;
  value: number;
  limit: string;
  pass: boolean;
}

const rounds = <T>(m: Map<TargetKey, T[]>, key: TargetKey) => m.get(key) ?? [];

/** Per-round differences a[r] - b[r] (or a[r] / b[r]), medianed. */
function paired(a: readonly number[], b: readonly number[], op: (x: number, y: number) => number): number {
  return median(a.map((x, i) => (b[i] === undefined ? Number.NaN : op(x, b[i]!))));
}

const failures = (rs: readonly PacedResult[]) => rs.reduce((s, r) => s + r.failed + r.timedOut, 0);

export function buildRows(targets: readonly Target[], m: Measurements): Row[] {
  const rps = (k: TargetKey) => rounds(m.wrk, k).map((r) => r.rps);
  const lat = (k: TargetKey, p: 'p50' | 'p99') => rounds(m.paced, k).map((r) => r.latency[p]);
  const ttfc = (k: TargetKey, p: 'p50' | 'p99') => rounds(m.stream, k).map((r) => r.firstChunk[p]);
  const minus = (x: number, y: number) => x - y;
  return targets.map((t) => ({
    key: t.key,
    label: t.label,
    note: t.note,
    maxRps: median(rps(t.key)),
    ratioToBare: paired(rps(t.key), rps('bare-node'), (x, y) => x / y),
    cpuUsPerRequest: median(rounds(m.wrk, t.key).map((r) => r.cpuUsPerRequest)),
    cpuPercentAtRate: median(rounds(m.paced, t.key).map((r) => r.cpuPercent)),
    p50: median(lat(t.key, 'p50')),
    p99: median(lat(t.key, 'p99')),
    addedP50: paired(lat(t.key, 'p50'), lat('direct', 'p50'), minus),
    addedP99: paired(lat(t.key, 'p99'), lat('direct', 'p99'), minus),
    genLagP99: median(rounds(m.paced, t.key).map((r) => r.sendLag.p99)),
    ttfcP50: median(ttfc(t.key, 'p50')),
    ttfcAddedP50: paired(ttfc(t.key, 'p50'), ttfc('direct', 'p50'), minus),
    ttfcAddedP99: paired(ttfc(t.key, 'p99'), ttfc('direct', 'p99'), minus),
    failures:
      failures(rounds(m.paced, t.key)) +
      failures(rounds(m.stream, t.key)) +
      rounds(m.wrk, t.key).reduce((s, r) => s + r.non2xx + r.socketErrors, 0),
    perRound: { rps: rps(t.key), p50: lat(t.key, 'p50'), p99: lat(t.key, 'p99'), ttfcP50: ttfc(t.key, 'p50') },
  }));
}

/** The targets vllm-router is held to. */
export function checks(rows: readonly Row[], rate: number): Check[] {
  const router = rows.find((r) => r.key === 'vllm-router');
  if (!router) return [];
  return [
    { name: `added p50 at ${rate} req/s`, value: router.addedP50, limit: '<= 0.2 ms', pass: router.addedP50 <= 0.2 },
    { name: `added p99 at ${rate} req/s`, value: router.addedP99, limit: '<= 1 ms', pass: router.addedP99 <= 1 },
    { name: 'max req/s vs bare node:http proxy', value: router.ratioToBare, limit: '>= 0.70x', pass: router.ratioToBare >= 0.7 },
  ];
}

function cell(n: number, digits: number, signed = false): string {
  if (!Number.isFinite(n)) return '-';
  const s = n.toFixed(digits);
  return signed && n >= 0 ? `+${s}` : s;
}

function table(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatReport(rows: readonly Row[], cs: readonly Check[], rate: number, roundsRun: number): string {
  const header = ['target', 'max rps', 'x bare', 'CPU us/req', `CPU%@${rate}`, `p50@${rate}`, `p99@${rate}`, '+p50', '+p99', 'gen lag p99', 'TTFC p50', '+TTFC p50', '+TTFC p99', 'fail'];
  const body = rows.map((r) => [
    r.label,
    cell(r.maxRps, 0),
    cell(r.ratioToBare, 2),
    cell(r.cpuUsPerRequest, 1),
    cell(r.cpuPercentAtRate, 0),
    cell(r.p50, 3),
    cell(r.p99, 3),
    r.key === 'direct' ? '' : cell(r.addedP50, 3, true),
    r.key === 'direct' ? '' : cell(r.addedP99, 3, true),
    cell(r.genLagP99, 2),
    cell(r.ttfcP50, 3),
    r.key === 'direct' || !Number.isFinite(r.ttfcP50) ? '' : cell(r.ttfcAddedP50, 3, true),
    r.key === 'direct' || !Number.isFinite(r.ttfcP50) ? '' : cell(r.ttfcAddedP99, 3, true),
    String(r.failures),
  ]);
  const spread = rows.map((r) => `  ${r.label.padEnd(24)} rps ${r.perRound.rps.map((v) => Math.round(v)).join(' / ')}   p50 ${r.perRound.p50.map((v) => v.toFixed(3)).join(' / ')}   p99 ${r.perRound.p99.map((v) => v.toFixed(3)).join(' / ')}`);
  const router = rows.find((r) => r.key === 'vllm-router');
  const bare = rows.find((r) => r.key === 'bare-node');
  const cpuRatio = router && bare ? router.cpuUsPerRequest / bare.cpuUsPerRequest : Number.NaN;
  const verdicts = cs.map((c) => `  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(36)} ${cell(c.value, c.name.startsWith('max') ? 2 : 3)}${c.name.startsWith('max') ? 'x' : ' ms'}  (target ${c.limit})`);
  return [
    `latency in ms; medians of ${roundsRun} interleaved rounds; "+" columns are per-round differences from direct;`,
    '"x bare" is the per-round ratio of max rps to the bare node:http proxy; CPU us/req is the target process\'s own CPU per request during wrk,',
    `CPU%@${rate}: its share of one core at the fixed rate (direct: the upstream; nginx: master + workers)`,
    '',
    table(header, body),
    '',
    'per round:',
    ...spread,
    '',
    'vllm-router targets:',
    ...verdicts,
    `  info  CPU per request vs bare node:http      ${cell(cpuRatio, 2)}x  (max rps on a core of its own would be about ${cell(1 / cpuRatio, 2)}x bare)`,
    // The latency targets are absolute; the bare proxy shows what any Node proxy adds on this machine now.
    ...(router && bare
      ? [
          `  info  added p50 vs bare node:http            ${cell(router.addedP50 - bare.addedP50, 3, true)} ms  (bare itself adds ${cell(bare.addedP50, 3, true)} ms)`,
          `  info  added p99 vs bare node:http            ${cell(router.addedP99 - bare.addedP99, 3, true)} ms  (bare itself adds ${cell(bare.addedP99, 3, true)} ms)`,
        ]
      : []),
    '"gen lag p99" is how late the load generator itself sent (a busy machine); high values make that row\'s p99 noise.',
  ].join('\n');
}
