/**
 * Soak: the vllm-router program under a steady mixed load for a long time (default 30 minutes),
 * printing its RSS and heap once a minute. What it shows: memory flat after warm-up and no answer
 * other than the expected one. See bench/README.md.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Children, startRouter, startSims } from '../batch/processes.js';
import { HELP, parseSoakArgs, type SoakConfig } from './args.js';
import { kindPicker, MIX, send, type Kind, type Outcome } from './traffic.js';

const MODEL = 'soak-model';

interface Sample {
  minute: number;
  requests: number;
  unexpected: number;
  dropped: number;
  rssMiB: number;
  /** Lowest heap used among the interval's samples: the live set after a collection, what a leak raises. */
  heapUsedMiB: number;
  /** Highest, for the garbage between collections. */
  heapPeakMiB: number;
  p99ChatMs: number;
}

/** Memory is read this often within an interval; the floor of those reads is the figure that counts. */
const MEMORY_PROBE_MS = 5_000;

async function routerMemory(url: string): Promise<{ rss: number; heapUsed: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: value('vllm_router_process_resident_memory_bytes'), heapUsed: value('vllm_router_nodejs_heap_size_used_bytes') };
}

const MiB = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
}

/** Least-squares slope of y over x (MiB per minute). */
function slope(all: Array<[number, number]>): number {
  const points = all.filter(([, y]) => Number.isFinite(y)); // a failed /metrics read is a gap, not a zero
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function soak(config: SoakConfig, children: Children): Promise<boolean> {
  const storage = await mkdtemp(join(tmpdir(), 'vllm-router-soak-'));
  try {
    const sims = await startSims(children, { sims: 2, model: MODEL, tokenDelayMs: 5, maxNumSeqs: 64 });
    const url = await startRouter(children, [
      '--service-discovery', 'static',
      '--static-backends', sims.urls.join(','),
      '--static-models', sims.urls.map(() => MODEL).join(','),
      '--routing-logic', 'roundrobin',
      '--enable-batch-api',
      '--file-storage-path', storage,
      '--log-level', 'info', // the "listening on" line is info; access lines go to a pipe nobody keeps
      // Every request comes from this one address: keep the per-client cap above what the generator
      // may hold open, or a stall on the machine turns into 429 too_many_connections (as it did once).
      '--max-connections-per-client', String(config.maxInFlight + 64),
    ]);
    console.log(`soak: ${config.minutes} min at ${config.rate} req/s against ${url}; mix ${MIX.map(([k, s]) => `${k} ${s * 100}%`).join(', ')}`);
    console.log('| minute | requests | unexpected | dropped | RSS MiB | heap used MiB (floor) | heap used MiB (peak) | chat p99 ms |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');

    const pick = kindPicker(config.seed);
    const samples: Sample[] = [];
    const unexpectedByKind = new Map<Kind, number>();
    const firstFailures: string[] = [];
    let inFlight = 0;
    let sent = 0;
    let intervalRequests = 0;
    let intervalUnexpected = 0;
    let intervalDropped = 0;
    let chatTimes: number[] = [];
    let heapFloor = Infinity;
    let heapPeak = 0;
    let nextProbe = performance.now() + MEMORY_PROBE_MS;
    const pending = new Set<Promise<void>>();
    const record = (o: Outcome) => {
      intervalRequests++;
      if (o.kind === 'chat') chatTimes.push(o.ms);
      if (!o.ok) {
        intervalUnexpected++;
        unexpectedByKind.set(o.kind, (unexpectedByKind.get(o.kind) ?? 0) + 1);
        if (firstFailures.length < 10) firstFailures.push(`${o.kind}: ${o.detail}`);
      }
    };

    const t0 = performance.now();
    const endAt = t0 + config.minutes * 60_000;
    let nextSample = t0 + config.intervalSeconds * 1000;
    let nextDue = t0;
    while (performance.now() < endAt) {
      const now = performance.now();
      // Open loop: every request due by now starts, whether or not earlier ones have answered.
      while (nextDue <= now) {
        nextDue += 1000 / config.rate;
        if (inFlight >= config.maxInFlight) {
          intervalDropped++;
          continue;
        }
        inFlight++;
        const p: Promise<void> = send(pick(), url, MODEL, sent++).then((o) => {
          inFlight--;
          record(o);
          pending.delete(p);
        });
        pending.add(p);
      }
      if (now >= nextProbe || now >= nextSample) {
        nextProbe = now + MEMORY_PROBE_MS;
        const probe = await routerMemory(url);
        heapFloor = Math.min(heapFloor, probe.heapUsed);
        heapPeak = Math.max(heapPeak, probe.heapUsed);
      }
      if (now >= nextSample) {
        nextSample += config.intervalSeconds * 1000;
        const mem = await routerMemory(url);
        heapFloor = Math.min(heapFloor, mem.heapUsed);
        heapPeak = Math.max(heapPeak, mem.heapUsed);
        const sample: Sample = {
          minute: Math.round(((now - t0) / 60_000) * 10) / 10,
          requests: intervalRequests,
          unexpected: intervalUnexpected,
          dropped: intervalDropped,
          rssMiB: MiB(mem.rss),
          heapUsedMiB: MiB(heapFloor),
          heapPeakMiB: MiB(heapPeak),
          p99ChatMs: percentile(chatTimes, 99),
        };
        samples.push(sample);
        console.log(`| ${sample.minute} | ${sample.requests} | ${sample.unexpected} | ${sample.dropped} | ${sample.rssMiB} | ${sample.heapUsedMiB} | ${sample.heapPeakMiB} | ${sample.p99ChatMs} |`);
        intervalRequests = intervalUnexpected = intervalDropped = 0;
        chatTimes = [];
        heapFloor = Infinity;
        heapPeak = 0;
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(nextDue, nextSample, nextProbe) - performance.now())));
    }
    await Promise.all(pending);

    const steady = samples.filter((s) => s.minute > config.warmupMinutes);
    const heapSlope = slope(steady.map((s) => [s.minute, s.heapUsedMiB]));
    const rssSlope = slope(steady.map((s) => [s.minute, s.rssMiB]));
    const totals = {
      requests: samples.reduce((n, s) => n + s.requests, 0),
      unexpected: [...unexpectedByKind.values()].reduce((a, b) => a + b, 0),
      dropped: samples.reduce((n, s) => n + s.dropped, 0),
    };
    const leftOnDisk = (await readdir(join(storage, 'files')).catch(() => [] as string[])).length;
    const first = steady[0];
    const last = steady.at(-1);
    console.log('');
    console.log(`after warm-up (minute > ${config.warmupMinutes}): heap floor ${first?.heapUsedMiB} -> ${last?.heapUsedMiB} MiB (slope ${heapSlope.toFixed(3)} MiB/min), RSS ${first?.rssMiB} -> ${last?.rssMiB} MiB (slope ${rssSlope.toFixed(3)} MiB/min)`);
    console.log(`requests ${totals.requests}, unexpected ${totals.unexpected}, dropped ${totals.dropped}, files left in storage ${leftOnDisk}`);
    for (const f of firstFailures) console.log(`  unexpected: ${f}`);
    if (config.jsonPath) await writeFile(config.jsonPath, JSON.stringify({ config, samples, totals, heapSlope, rssSlope, leftOnDisk }, null, 2));
    return totals.unexpected === 0 && totals.dropped === 0;
  } finally {
    await rm(storage, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const config = parseSoakArgs(process.argv.slice(2));
  if (config === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const children = new Children();
  process.on('exit', () => children.killAllNow());
  try {
    const clean = await soak(config, children);
    process.exitCode = clean ? 0 : 1;
  } finally {
    await children.stopAll();
  }
}

await main();
