import type { BenchConfig } from './args.js';
import type { Measurements } from './measure.js';
import { median } from './stats.js';
import type { Target, TargetKey } from './targets.js';

/** Per-round differences from direct at one rate, medianed. */
function addedAt(m: Measurements, rate: number, key: TargetKey, p: 'p50' | 'p99'): number {
  const runs = m.pacedAt.get(rate);
  const mine = runs?.get(key) ?? [];
  const direct = runs?.get('direct') ?? [];
  return median(mine.map((r, i) => (direct[i] ? r.latency[p] - direct[i]!.latency[p] : Number.NaN)));
}

interface Measure {
  name: string;
  digits: number;
  unit: string;
  value: (key: TargetKey) => number;
  /** What vllm-router is held to, against the Rust router's value in the same run. */
  target?: { text: string; pass: (ours: number, rust: number) => boolean };
}

function measures(config: BenchConfig, m: Measurements): Measure[] {
  const wrk = (key: TargetKey) => m.wrk.get(key) ?? [];
  const list: Measure[] = [
    { name: `max req/s (wrk -c${config.wrkConnections})`, digits: 0, unit: '', value: (k) => median(wrk(k).map((r) => r.rps)), target: { text: '>= Rust (stretch)', pass: (o, r) => o >= r } },
    { name: 'CPU us/request at saturation', digits: 0, unit: '', value: (k) => median(wrk(k).map((r) => r.cpuUsPerRequest)) },
  ];
  for (const rate of config.rates) {
    list.push(
      { name: `added p50 at ${rate} req/s`, digits: 2, unit: ' ms', value: (k) => addedAt(m, rate, k, 'p50'), ...(rate === 200 ? { target: { text: '<= Rust + 0.1 ms', pass: (o: number, r: number) => o <= r + 0.1 } } : {}) },
      { name: `added p99 at ${rate} req/s`, digits: 2, unit: ' ms', value: (k) => addedAt(m, rate, k, 'p99') },
    );
    if (m.aloneCpuUs.has(rate))
      list.push({ name: `CPU us/request at ${rate} req/s (alone)`, digits: 0, unit: '', value: (k) => median(m.aloneCpuUs.get(rate)?.get(k) ?? []), target: { text: '<= Rust', pass: (o, r) => o <= r } });
  }
  if (m.idleCpuPercent.size)
    list.push({ name: `idle CPU (% of a core, ${config.idleSeconds} s at rest)`, digits: 3, unit: ' %', value: (k) => m.idleCpuPercent.get(k) ?? Number.NaN, target: { text: '< 0.1 % (absolute)', pass: (o) => o < 0.1 } });
  return list;
}

const show = (n: number, digits: number, signed: boolean) => (Number.isFinite(n) ? `${signed && n >= 0 ? '+' : ''}${n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}` : '-');

/**
 * The side-by-side table of vllm-router and the peers (markdown, for the README as it is): one row
 * per measure, the ratio of ours to the Rust router's, and the targets checked against it.
 */
export function formatPeerReport(config: BenchConfig, targets: readonly Target[], m: Measurements): string {
  const order: TargetKey[] = ['vllm-router', 'rust-vllm-router', 'sglang-router', 'bare-node', 'nginx'];
  const columns = order.map((k) => targets.find((t) => t.key === k)).filter((t): t is Target => t !== undefined);
  const header = ['measure', ...columns.map((t) => (t.key === 'vllm-router' ? 'ours (vllm-router)' : t.label)), 'ours / Rust'];
  const lines = [`| ${header.join(' | ')} |`, `| --- | ${columns.map(() => '---:').join(' | ')} | ---: |`];
  const verdicts: string[] = [];
  for (const x of measures(config, m)) {
    const signed = x.name.startsWith('added');
    const ours = x.value('vllm-router');
    const rust = x.value('rust-vllm-router');
    const ratio = signed ? `${show(ours - rust, 2, true)} ms` : `${show(ours / rust, 2, false)}x`;
    lines.push(`| ${x.name} | ${columns.map((t) => `${show(x.value(t.key), x.digits, signed)}${x.unit}`).join(' | ')} | ${ratio} |`);
    if (x.target) verdicts.push(`  ${x.target.pass(ours, rust) ? 'PASS' : 'FAIL'}  ${x.name.padEnd(40)} ours ${show(ours, x.digits, signed)}${x.unit}, Rust ${show(rust, x.digits, signed)}${x.unit}  (target ${x.target.text})`);
  }
  return ['side by side (medians of interleaved rounds; "alone": each target gets the fixed rate by itself, CPU from /proc per request sent):', '', ...lines, '', 'vllm-router vs the Rust router:', ...verdicts].join('\n');
}
