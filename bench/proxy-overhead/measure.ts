import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchConfig } from './args.js';
import type { Children } from './children.js';
import { runPaced } from './own-programs.js';
import { cpuSecondsOf, preciseCpuSecondsOf } from './procstat.js';
import type { PacedResult } from './paced-types.js';
import type { Target, TargetKey } from './targets.js';
import { CHAT_BODY, CHAT_PATH, STREAM_BODY } from './workload.js';
import { runWrk, type WrkResult } from './wrk.js';

/** A wrk run plus the CPU the target's process (nginx: master and workers) used per request. */
export interface MaxRun extends WrkResult {
  cpuUsPerRequest: number;
}

/** A fixed-rate run plus the share of one core the target's process used meanwhile. */
export interface PacedRun extends PacedResult {
  cpuPercent: number;
}

/** Per target, one entry per round (rounds interleave the targets, in a rotating order). */
export interface Measurements {
  wrk: Map<TargetKey, MaxRun[]>;
  /** At the main rate (config.pacedRate). */
  paced: Map<TargetKey, PacedRun[]>;
  /** At every rate of config.rates (the main one included). */
  pacedAt: Map<number, Map<TargetKey, PacedRun[]>>;
  stream: Map<TargetKey, PacedResult[]>;
  /** CPU us per request with the target alone at each rate, one entry per round. */
  aloneCpuUs: Map<number, Map<TargetKey, number[]>>;
  /** Share of one core (%) each target used while nothing was sent to any target. */
  idleCpuPercent: Map<TargetKey, number>;
}

/** The targets measured alone at the fixed rates: the routers and the two floors beside them. */
const ALONE: ReadonlySet<TargetKey> = new Set<TargetKey>(['vllm-router', 'bare-node', 'nginx', 'rust-vllm-router', 'sglang-router']);

type Log = (line: string) => void;

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function push<V>(map: Map<TargetKey, V[]>, key: TargetKey, value: V): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

function at<V>(map: Map<number, Map<TargetKey, V[]>>, rate: number): Map<TargetKey, V[]> {
  let inner = map.get(rate);
  if (!inner) map.set(rate, (inner = new Map()));
  return inner;
}

/** After the last request, this long before the idle window opens: see measureIdle. */
export const IDLE_SETTLE_SECONDS = 15;

/**
 * Every target's CPU over one window in which nothing is sent to any of them, opened
 * IDLE_SETTLE_SECONDS after the warm-up: a Node process spends ~50 ms of CPU in the ~10 s after a
 * burst (V8's memory reducer runs a full GC, idle keep-alive sockets close), once per burst, not
 * per second; the window measures what a router at rest costs per unit of time.
 */
export async function measureIdle(targets: readonly Target[], seconds: number, log: Log): Promise<Map<TargetKey, number>> {
  await sleep(IDLE_SETTLE_SECONDS * 1000);
  const before = targets.map((t) => preciseCpuSecondsOf(t.pid));
  const startedAt = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - startedAt) / 1000;
  const out = new Map<TargetKey, number>();
  targets.forEach((t, i) => {
    const percent = ((preciseCpuSecondsOf(t.pid) - before[i]!) * 100) / elapsed;
    out.set(t.key, percent);
    log(`  idle       ${t.label.padEnd(24)} ${percent.toFixed(3)}% of a core over ${elapsed.toFixed(0)} s`);
  });
  return out;
}

const url = (t: Target) => `http://127.0.0.1:${t.port}${CHAT_PATH}`;
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '-');

/** A short closed-loop run per target so every process is warm (JIT, connection pools). */
export async function warmUp(children: Children, config: BenchConfig, targets: readonly Target[], script: string, log: Log): Promise<void> {
  for (const t of targets) {
    const r = await runWrk(children, { url: url(t), seconds: config.warmupSeconds, threads: config.wrkThreads, connections: config.wrkConnections, script });
    log(`  warm-up ${t.label}: ${Math.round(r.rps)} req/s`);
  }
}

export async function measure(children: Children, config: BenchConfig, targets: readonly Target[], script: string, log: Log): Promise<Measurements> {
  const out: Measurements = { wrk: new Map(), paced: new Map(), pacedAt: new Map(), stream: new Map(), aloneCpuUs: new Map(), idleCpuPercent: new Map() };
  const streamTargets = targets.filter((t) => t.key !== 'vllm-router-info'); // the access log is written after the stream ends
  for (let round = 0; round < config.rounds; round++) {
    log(`round ${round + 1}/${config.rounds}`);
    for (const t of rotate(targets, round)) {
      const cpuBefore = cpuSecondsOf(t.pid);
      const w = await runWrk(children, { url: url(t), seconds: config.wrkSeconds, threads: config.wrkThreads, connections: config.wrkConnections, script });
      const r: MaxRun = { ...w, cpuUsPerRequest: ((cpuSecondsOf(t.pid) - cpuBefore) * 1e6) / w.requests };
      push(out.wrk, t.key, r);
      log(`  max rps    ${t.label.padEnd(24)} ${Math.round(r.rps)} req/s, ${r.cpuUsPerRequest.toFixed(1)} us CPU/req${r.non2xx || r.socketErrors ? ` (non-2xx ${r.non2xx}, socket errors ${r.socketErrors})` : ''}`);
    }
    for (const rate of config.rates) {
      for (const [key, r] of await pacedInterleaved(children, config, rotate(targets, round), rate, log)) {
        push(at(out.pacedAt, rate), key, r);
        if (rate === config.pacedRate) push(out.paced, key, r);
      }
    }
    const streamOrder = rotate(streamTargets, round);
    const streamed = await runPaced(children, {
      urls: streamOrder.map(url),
      body: STREAM_BODY,
      rate: config.streamRate,
      warmupSeconds: 0.3,
      seconds: config.streamSeconds,
      sliceMs: config.sliceMs,
      connections: config.pacedConnections,
      graceMs: 3000,
    });
    streamOrder.forEach((t, i) => {
      const r = streamed[i]!;
      push(out.stream, t.key, r);
      log(`  TTFC       ${t.label.padEnd(24)} p50 ${fmt(r.firstChunk.p50)} ms  p99 ${fmt(r.firstChunk.p99)} ms${r.failed + r.timedOut ? ` (${r.failed + r.timedOut} failed)` : ''}`);
    });
    if (config.aloneSeconds > 0)
      for (const rate of config.rates)
        for (const t of rotate(targets.filter((x) => ALONE.has(x.key)), round)) {
          const us = await cpuAlone(children, config, t, rate);
          push(at(out.aloneCpuUs, rate), t.key, us);
          log(`  alone @${rate}/s ${t.label.padEnd(24)} ${us.toFixed(1)} us CPU/req`);
        }
  }
  return out;
}

/** One fixed-rate schedule over all targets in turn; the CPU share of each target meanwhile. */
async function pacedInterleaved(children: Children, config: BenchConfig, order: readonly Target[], rate: number, log: Log): Promise<Map<TargetKey, PacedRun>> {
  const cpuBefore = order.map((t) => cpuSecondsOf(t.pid));
  const startedAt = performance.now();
  const paced = await runPaced(children, {
    urls: order.map(url),
    body: CHAT_BODY,
    rate,
    warmupSeconds: 0.5,
    seconds: config.pacedSeconds,
    sliceMs: config.sliceMs,
    connections: config.pacedConnections,
    graceMs: 3000,
  });
  // Each proxy had 1/N of the run (warm-up and drain included, so a little below its true share);
  // the upstream (direct) served the rate all along, through the proxies too.
  const elapsed = performance.now() - startedAt;
  const out = new Map<TargetKey, PacedRun>();
  order.forEach((t, i) => {
    const window = t.key === 'direct' ? elapsed : elapsed / order.length;
    const r: PacedRun = { ...paced[i]!, cpuPercent: ((cpuSecondsOf(t.pid) - cpuBefore[i]!) * 100_000) / window };
    out.set(t.key, r);
    const bad = r.failed + r.timedOut;
    log(`  @${rate}/s   ${t.label.padEnd(24)} p50 ${fmt(r.latency.p50)} ms  p99 ${fmt(r.latency.p99)} ms  CPU ${r.cpuPercent.toFixed(0)}%  (send lag p99 ${fmt(r.sendLag.p99)} ms${bad ? `, ${bad} failed` : ''})`);
  });
  return out;
}

/**
 * CPU us per request of one target given the fixed rate alone (what a user sees at that load):
 * everything it spent from before the generator started to after it finished, per request sent,
 * so costs per unit of time (timers, polling) count as well as costs per request.
 */
async function cpuAlone(children: Children, config: BenchConfig, t: Target, rate: number): Promise<number> {
  const warmupSeconds = 0.5;
  const before = cpuSecondsOf(t.pid);
  const [r] = await runPaced(children, { urls: [url(t)], body: CHAT_BODY, rate, warmupSeconds, seconds: config.aloneSeconds, sliceMs: 1000, connections: config.pacedConnections, graceMs: 3000 });
  const requests = Math.round(rate * warmupSeconds) + r!.scheduled;
  return ((cpuSecondsOf(t.pid) - before) * 1e6) / requests;
}
