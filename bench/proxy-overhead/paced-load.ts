/**
 * Child program: an open-loop, fixed-rate load generator (what wrk2 does). Request i is due at
 * t0 + i/rate whatever happened to earlier ones; latency is measured from that due time, so a slow
 * target is charged for the queueing it causes (no coordinated omission). The schedule goes to the
 * targets in turn, one slice each; every target has its own keep-alive pool.
 * Usage: paced-load.js '<PacedConfig JSON>'; the results (one per url) come back over IPC.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { exitWithParent, sendToParent } from './child-ipc.js';
import type { PacedConfig, PacedResult } from './paced-types.js';
import { summarize } from './stats.js';

exitWithParent();
const config = JSON.parse(process.argv[2] ?? '{}') as PacedConfig;
const body = Buffer.from(config.body);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

/** One target: its keep-alive pool and the samples of its measured requests. */
class TargetSamples {
  readonly url: URL;
  readonly agent: Agent;
  readonly latency: number[] = [];
  readonly service: number[] = [];
  readonly first: number[] = [];
  readonly lag: number[] = [];
  scheduled = 0;
  ok = 0;
  failed = 0;
  constructor(url: string) {
    this.url = new URL(url);
    // node:http agents set TCP_NODELAY by default
    this.agent = new Agent({ keepAlive: true, maxSockets: config.connections, keepAliveMsecs: 30_000 });
  }
}

const targets = config.urls.map((u) => new TargetSamples(u));
const interval = 1000 / config.rate;
const warmupMs = config.warmupSeconds * 1000;
const totalMs = warmupMs + config.seconds * 1000 * targets.length;
const total = Math.round((totalMs / 1000) * config.rate);
let outstanding = 0;
let sent = 0;

function launch(i: number, due: number): void {
  const offset = i * interval;
  const target = targets[Math.floor(offset / config.sliceMs) % targets.length]!;
  const measured = offset >= warmupMs;
  outstanding++;
  const sentAt = performance.now();
  if (measured) {
    target.scheduled++;
    target.lag.push(sentAt - due);
  }
  let firstAt = Number.NaN;
  let settled = false;
  const settle = (success: boolean) => {
    if (settled) return;
    settled = true;
    outstanding--;
    const now = performance.now();
    if (measured) {
      if (success) {
        target.ok++;
        target.latency.push(now - due);
        target.service.push(now - sentAt);
        target.first.push(firstAt - due);
      } else target.failed++;
    }
    if (sent === total && outstanding === 0) report();
  };
  const { hostname, port, pathname } = target.url;
  const req = request({ host: hostname, port, path: pathname, method: 'POST', headers, agent: target.agent }, (res) => {
    res.once('data', () => (firstAt = performance.now()));
    res.on('data', () => undefined);
    res.on('end', () => settle(res.statusCode === 200));
    res.on('error', () => settle(false));
  });
  req.on('error', () => settle(false));
  req.end(body);
}

const t0 = performance.now() + 20;
function tick(): void {
  const now = performance.now();
  while (sent < total && t0 + sent * interval <= now) {
    launch(sent, t0 + sent * interval);
    sent++;
  }
  if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
  else setTimeout(report, config.graceMs).unref();
}

function result(t: TargetSamples): PacedResult {
  return {
    scheduled: t.scheduled,
    ok: t.ok,
    failed: t.failed,
    timedOut: t.scheduled - t.ok - t.failed,
    achievedRate: t.ok / config.seconds,
    latency: summarize(Float64Array.from(t.latency)),
    serviceTime: summarize(Float64Array.from(t.service)),
    firstChunk: summarize(Float64Array.from(t.first)),
    sendLag: summarize(Float64Array.from(t.lag)),
  };
}

let reported = false;
function report(): void {
  if (reported) return;
  reported = true;
  const results = targets.map(result);
  for (const t of targets) t.agent.destroy();
  sendToParent({ type: 'result', result: results }, () => process.exit(0));
}

setTimeout(tick, 20);
