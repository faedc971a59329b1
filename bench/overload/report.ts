import type { RequestResult } from './client.js';
import type { EngineReport } from './fleet-types.js';
import { CLASSES, TENANTS, type RequestClass, type Tenant } from './workload.js';

export interface ClassSummary {
  /** Requests the router accepted (not refused with 429): answered, or still open at the cutoff. */
  accepted: number;
  /** TTFT over the accepted ones, ms; Infinity when more than that share had no first token by the cutoff. */
  ttftP50: number;
  ttftP99: number;
}

export interface TenantSummary {
  offered: number;
  /** Answered with a first token. */
  served: number;
  rejected: number;
  /** Share of all served requests. */
  share: number;
  /** Offered and served per priority class (fair shares apply within a class). */
  byClass: Record<RequestClass, { offered: number; served: number }>;
}

export interface RunSummary {
  label: string;
  level: number;
  offeredRps: number;
  requests: number;
  classes: Record<RequestClass, ClassSummary>;
  /** Answered with a first token within the TTFT SLO, per second of arrivals. */
  goodputRps: number;
  goodputShare: number;
  tenants: Record<Tenant, TenantSummary>;
  engines: { maxWaiting: number; meanWaiting: number; p99Waiting: number; hitRate: number };
  /** No answer at all by the cutoff (or a connection error). */
  unanswered: number;
  /** Answered (status or 429) later than the queue timeout plus slack after being due, or not at all. */
  pastTimeout: number;
  /** 99th percentile of how late the generator sent requests. */
  lagP99: number;
  /** Router-side queue wait of admitted requests (from /stats), ms, when admission was on. */
  routerWait?: { p50: number; p99: number; max: number } | null;
  affinity?: { preferred: number; spilled: number };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface SummaryInput {
  label: string;
  level: number;
  offeredRps: number;
  seconds: number;
  results: RequestResult[];
  engines: EngineReport[];
  sloMs: number;
  /** The router's queue timeout; answers later than this + slackMs count as past it. */
  timeoutMs: number;
  slackMs: number;
}

export function summarizeRun(input: SummaryInput): RunSummary {
  const { results } = input;
  const served = (r: RequestResult) => r.status === 200 && r.ttftMs !== undefined;
  const classes = {} as Record<RequestClass, ClassSummary>;
  for (const cls of CLASSES) {
    const accepted = results.filter((r) => r.plan.cls === cls && r.status !== 429);
    const ttfts = accepted.map((r) => (served(r) ? r.ttftMs! : Infinity)).sort((a, b) => a - b);
    classes[cls] = { accepted: accepted.length, ttftP50: percentile(ttfts, 0.5), ttftP99: percentile(ttfts, 0.99) };
  }
  const servedTotal = results.filter(served).length;
  const tenants = {} as Record<Tenant, TenantSummary>;
  for (const tenant of TENANTS) {
    const mine = results.filter((r) => r.plan.tenant === tenant);
    const n = mine.filter(served).length;
    const byClass = {} as TenantSummary['byClass'];
    for (const cls of CLASSES) {
      const inClass = mine.filter((r) => r.plan.cls === cls);
      byClass[cls] = { offered: inClass.length, served: inClass.filter(served).length };
    }
    tenants[tenant] = { offered: mine.length, served: n, rejected: mine.filter((r) => r.status === 429).length, share: servedTotal ? n / servedTotal : 0, byClass };
  }
  const good = results.filter((r) => served(r) && r.ttftMs! <= input.sloMs).length;
  const waitingMeans = input.engines.map((e) => e.waitingMean);
  const hits = input.engines.reduce((a, e) => a + e.prefixCacheHits, 0);
  const queries = input.engines.reduce((a, e) => a + e.prefixCacheQueries, 0);
  return {
    label: input.label,
    level: input.level,
    offeredRps: input.offeredRps,
    requests: results.length,
    classes,
    goodputRps: good / input.seconds,
    goodputShare: results.length ? good / results.length : 0,
    tenants,
    engines: {
      maxWaiting: Math.max(0, ...input.engines.map((e) => e.maxQueueLength)),
      meanWaiting: waitingMeans.length ? waitingMeans.reduce((a, b) => a + b, 0) / waitingMeans.length : 0,
      p99Waiting: Math.max(0, ...input.engines.map((e) => e.waitingP99)),
      hitRate: queries ? hits / queries : 0,
    },
    unanswered: results.filter((r) => r.status === 'cut' || r.status === 'error').length,
    // The router answers with its headers: a 429, or the engine's stream starting once admitted. The
    // timeout runs from when the router got the request, so a late send by the generator is not counted.
    pastTimeout: results.filter((r) => r.headersMs === undefined || r.headersMs - r.lagMs > input.timeoutMs + input.slackMs).length,
    lagP99: percentile(results.map((r) => r.lagMs).sort((a, b) => a - b), 0.99),
  };
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)}` : 'cut');
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function formatOverloadTable(rows: RunSummary[]): string {
  const header = '| load | admission | urgent TTFT p50 / p99 ms | normal TTFT p50 / p99 ms | goodput req/s (share) | 429 big / small | served share big / small | engine waiting max / mean | no answer |';
  const lines = [header, '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    const rate429 = (t: Tenant) => pct(r.tenants[t].offered ? r.tenants[t].rejected / r.tenants[t].offered : 0);
    lines.push(
      `| ${r.level}x (${r.offeredRps.toFixed(0)}/s) | ${r.label} | ${ms(r.classes.urgent.ttftP50)} / ${ms(r.classes.urgent.ttftP99)} | ${ms(r.classes.normal.ttftP50)} / ${ms(r.classes.normal.ttftP99)} | ${r.goodputRps.toFixed(1)} (${pct(r.goodputShare)}) | ${rate429('big')} / ${rate429('small')} | ${pct(r.tenants.big.share)} / ${pct(r.tenants.small.share)} | ${r.engines.maxWaiting} / ${r.engines.meanWaiting.toFixed(1)} | ${r.unanswered} |`,
    );
  }
  return lines.join('\n');
}

export function formatAffinityTable(rows: RunSummary[]): string {
  const lines = [
    '| setting | TTFT p50 / p99 ms | goodput req/s (share) | prefix-cache hit rate | preferred / spilled | router queue wait p50 / p99 ms | engine waiting max |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const all = [r.classes.urgent, r.classes.normal];
    const p50 = Math.max(...all.map((c) => c.ttftP50));
    const p99 = Math.max(...all.map((c) => c.ttftP99));
    const wait = r.routerWait ? `${r.routerWait.p50.toFixed(0)} / ${r.routerWait.p99.toFixed(0)}` : '-';
    const aff = r.affinity ? `${r.affinity.preferred} / ${r.affinity.spilled}` : '-';
    lines.push(`| ${r.label} | ${ms(p50)} / ${ms(p99)} | ${r.goodputRps.toFixed(1)} (${pct(r.goodputShare)}) | ${pct(r.engines.hitRate)} | ${aff} | ${wait} | ${r.engines.maxWaiting} |`);
  }
  return lines.join('\n');
}

export interface TargetCheck {
  name: string;
  pass: boolean;
  detail: string;
}

/** The targets, from the admission-on runs (and the configured bound). */
export function checkTargets(on: RunSummary[], options: { waitingBound: number; smallWeightShare: number }): TargetCheck[] {
  const at = (level: number) => on.find((r) => r.level === level);
  const checks: TargetCheck[] = [];
  const light = at(0.5);
  const double = at(2);
  if (light && double) {
    const ratio = double.classes.urgent.ttftP99 / light.classes.urgent.ttftP99;
    checks.push({ name: 'at 2x the urgent class keeps TTFT p99 within 2x of its value at 0.5x', pass: ratio <= 2, detail: `${ms(double.classes.urgent.ttftP99)} ms vs ${ms(light.classes.urgent.ttftP99)} ms = ${ratio.toFixed(2)}x` });
  }
  // Within each priority class the small tenant is entitled to min(its demand, its weight's share of
  // what the class was served); a more urgent class goes first whoever sends it.
  for (const r of on.filter((x) => x.level >= 2)) {
    const parts = CLASSES.map((cls) => {
      const small = r.tenants.small.byClass[cls];
      const servedInClass = small.served + r.tenants.big.byClass[cls].served;
      const entitled = Math.min(small.offered, options.smallWeightShare * servedInClass);
      return { cls, small, servedInClass, entitled, pass: small.served >= Math.floor(0.95 * entitled) };
    });
    checks.push({
      name: `at ${r.level}x the small tenant gets at least its weighted share in each class`,
      pass: parts.every((p) => p.pass),
      detail: parts.map((p) => `${p.cls}: served ${p.small.served} of ${p.small.offered}, share ${p.entitled.toFixed(0)} (min of its demand and ${pct(options.smallWeightShare)} of ${p.servedInClass})`).join('; '),
    });
  }
  const worst = Math.max(...on.map((r) => r.engines.maxWaiting));
  checks.push({ name: `engines' waiting queue stays within the configured bound (${options.waitingBound})`, pass: worst <= options.waitingBound, detail: `largest waiting queue at any engine in any run: ${worst}` });
  const late = on.reduce((a, r) => a + r.pastTimeout, 0);
  checks.push({ name: 'no request waits past its timeout without an answer', pass: late === 0, detail: `${late} of ${on.reduce((a, r) => a + r.requests, 0)} requests answered late or not at all` });
  return checks;
}
