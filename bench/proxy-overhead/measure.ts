import { performance } from 'node:perf_hooks';
import type { BenchConfig } from './args.js';
import type { Children } from './children.js';
import { runPaced } from './own-programs.js';
import { cpuSecondsOf } from './procstat.js';
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
  paced: Map<TargetKey, PacedRun[]>;
  stream: Map<TargetKey, PacedResult[]>;
}

type Log = (line: string) => void;

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function push<V>(map: Map<TargetKey, V[]>, key: TargetKey, value: V): void {
  map.set(key, [...(map.get(key) ?? []), value]);
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
  const out: Measurements = { wrk: new Map(), paced: new Map(), stream: new Map() };
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
    const order = rotate(targets, round);
    const cpuBefore = order.map((t) => cpuSecondsOf(t.pid));
    const startedAt = performance.now();
    const paced = await runPaced(children, {
      urls: order.map(url),
      body: CHAT_BODY,
      rate: config.pacedRate,
      warmupSeconds: 0.5,
      seconds: config.pacedSeconds,
      sliceMs: config.sliceMs,
      connections: config.pacedConnections,
      graceMs: 3000,
    });
    // Each proxy had 1/N of the run (warm-up and drain included, so a little below its true share);
    // the upstream (direct) served the rate all along, through the proxies too.
    const elapsed = performance.now() - startedAt;
    order.forEach((t, i) => {
      const window = t.key === 'direct' ? elapsed : elapsed / order.length;
      const r: PacedRun = { ...paced[i]!, cpuPercent: ((cpuSecondsOf(t.pid) - cpuBefore[i]!) * 100_000) / window };
      push(out.paced, t.key, r);
      const bad = r.failed + r.timedOut;
      log(`  @${config.pacedRate}/s   ${t.label.padEnd(24)} p50 ${fmt(r.latency.p50)} ms  p99 ${fmt(r.latency.p99)} ms  CPU ${r.cpuPercent.toFixed(0)}%  (send lag p99 ${fmt(r.sendLag.p99)} ms${bad ? `, ${bad} failed` : ''})`);
    });
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
  }
  return out;
}
