import { summarize } from '../batch/stats.js';
import type { RequestSample } from './load.js';

export interface RunReport {
  workload: string;
  group: string;
  deployment: string;
  baseline: string;
  rate: number;
  requests: number;
  errors: number;
  ttftP50: number;
  ttftP99: number;
  itlP50: number;
  itlP99: number;
  /** Completed requests and output tokens per second, from the first send to the last answer. */
  reqPerSec: number;
  tokPerSec: number;
  /** The busiest engine's queue (requests waiting for a slot), from the simulators. */
  maxQueue: number;
}

export function summarizeRun(meta: Pick<RunReport, 'workload' | 'group' | 'deployment' | 'baseline' | 'rate'>, samples: RequestSample[], maxQueue: number): RunReport {
  const ok = samples.filter((s) => s.ok);
  const ttft = summarize(ok.map((s) => s.ttftMs), 0);
  const itl = summarize(ok.flatMap((s) => s.gapsMs), 0);
  const first = Math.min(...samples.map((s) => s.sentAt));
  const last = Math.max(...ok.map((s) => s.endedAt));
  const seconds = ok.length ? (last - first) / 1000 : Number.NaN;
  return {
    ...meta,
    requests: samples.length,
    errors: samples.length - ok.length,
    ttftP50: ttft.p50,
    ttftP99: ttft.p99,
    itlP50: itl.p50,
    itlP99: itl.p99,
    reqPerSec: ok.length / seconds,
    tokPerSec: ok.reduce((n, s) => n + s.tokens, 0) / seconds,
    maxQueue,
  };
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
const ratio = (v: number, base: number | undefined) => (base && Number.isFinite(v) && Number.isFinite(base) ? `${(v / base).toFixed(2)}x` : '');

/** One markdown table; P/D rows carry their TTFT p50 and ITL p99 as multiples of the aggregated row's. */
export function formatTable(reports: RunReport[]): string {
  const head = '| workload | engines | req/s offered | deployment | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms | req/s | tok/s | errors | TTFT p50 / agg | ITL p99 / agg |';
  const rule = '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = reports.map((r) => {
    const base = r.deployment === r.baseline ? undefined : reports.find((b) => b.workload === r.workload && b.group === r.group && b.rate === r.rate && b.deployment === r.baseline);
    return `| ${r.workload} | ${r.group} | ${r.rate} | ${r.deployment} | ${ms(r.ttftP50)} | ${ms(r.ttftP99)} | ${ms(r.itlP50)} | ${ms(r.itlP99)} | ${r.reqPerSec.toFixed(2)} | ${r.tokPerSec.toFixed(0)} | ${r.errors} | ${ratio(r.ttftP50, base?.ttftP50)} | ${ratio(r.itlP99, base?.itlP99)} |`;
  });
  return [head, rule, ...rows].join('\n');
}
