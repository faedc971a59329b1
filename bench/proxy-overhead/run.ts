/**
 * Proxy overhead benchmark: the same load against the upstream directly, vllm-router, a bare
 * node:http pass-through proxy and nginx, in one run. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseBenchArgs, type BenchConfig } from './args.js';
import type { Children } from './children.js';
import { log, runWithChildren } from './lifecycle.js';
import { IDLE_SETTLE_SECONDS, measure, measureIdle, warmUp } from './measure.js';
import { formatPeerReport } from './peer-report.js';
import { buildRows, checks, formatReport } from './report.js';
import { smokeTest } from './smoke.js';
import { startTargets, type TargetKey } from './targets.js';
import { ensureTools } from './tools.js';
import { CHAT_BODY } from './workload.js';
import { writeWrkScript } from './wrk.js';

/** A generous bound on the whole run, whatever hangs. */
function budgetSeconds(c: BenchConfig): number {
  const targets = (c.infoLogVariant ? 7 : 6) + (c.peers ? 2 : 0);
  const perRound = c.wrkSeconds + 1 + c.rates.length * (c.pacedSeconds + 5) + c.streamSeconds + 5 + c.rates.length * (c.aloneSeconds + 5);
  return (c.peers ? 1200 : 120) + c.idleSeconds + 15 + targets * (c.warmupSeconds + c.rounds * perRound) * 1.5;
}

async function bench(config: BenchConfig, children: Children, tmp: string): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg();
  log(`proxy-overhead: ${config.quick ? 'quick' : 'full'} run, ${config.rounds} rounds, ${cpus().length} CPUs, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  if (loadBefore[0]! > cpus().length)
    log(`warning: load average ${loadBefore[0]!.toFixed(1)} > ${cpus().length} CPUs: other work is running; expect noisy latency tails`);
  const targets = await startTargets(children, config, tmp, log);
  await smokeTest(targets);
  const script = writeWrkScript(tmp, CHAT_BODY);
  log('warm-up');
  await warmUp(children, config, targets, script, log);
  if (config.idleSeconds > 0) log(`idle CPU over ${config.idleSeconds} s, from ${IDLE_SETTLE_SECONDS} s after the warm-up`);
  const idle = config.idleSeconds > 0 ? await measureIdle(targets, config.idleSeconds, log) : new Map<TargetKey, number>();
  const m = await measure(children, config, targets, script, log);
  for (const [key, percent] of idle) m.idleCpuPercent.set(key, percent);
  const rows = buildRows(targets, m);
  const cs = checks(rows, config.pacedRate);
  const loadAfter = loadavg();
  const setup = [
    `wrk -t${config.wrkThreads} -c${config.wrkConnections} -d${config.wrkSeconds}s (POST chat completion, keep-alive); fixed rate ${config.rates.join(' and ')} req/s for ${config.pacedSeconds} s`,
    `(open loop, latency from the scheduled send time, keep-alive pool of ${config.pacedConnections}); TTFC: ${config.streamRate} streamed req/s for ${config.streamSeconds} s,`,
    `${config.streamChunks} SSE chunks ${config.streamChunkGapMs} ms apart; nginx worker_processes ${config.nginxWorkers}; ${cpus().length} CPUs shared by load generator,`,
    `proxies, upstream and everything else on the machine; load average ${loadAfter.map((l) => l.toFixed(2)).join(' ')} at the end.`,
  ].join('\n');
  process.stdout.write(`\n${formatReport(rows, cs, config.pacedRate, config.rounds)}\n\n${setup}\n`);
  if (config.peers || config.aloneSeconds > 0 || config.idleSeconds > 0) process.stdout.write(`\n${formatPeerReport(config, targets, m)}\n`);
  if (config.jsonPath) {
    mkdirSync(dirname(config.jsonPath), { recursive: true });
    const raw = Object.fromEntries(
      targets.map((t) => [
        t.key,
        {
          wrk: m.wrk.get(t.key),
          paced: m.paced.get(t.key),
          pacedAt: Object.fromEntries(config.rates.map((rate) => [rate, m.pacedAt.get(rate)?.get(t.key)])),
          stream: m.stream.get(t.key),
          aloneCpuUs: Object.fromEntries(config.rates.map((rate) => [rate, m.aloneCpuUs.get(rate)?.get(t.key)])),
          idleCpuPercent: m.idleCpuPercent.get(t.key),
        },
      ]),
    );
    const json = { started: started.toISOString(), finished: new Date().toISOString(), config, cpus: cpus().length, loadBefore, loadAfter, targets, rows, checks: cs, raw };
    writeFileSync(config.jsonPath, `${JSON.stringify(json, null, 2)}\n`);
    log(`wrote ${config.jsonPath}`);
  }
}

const config = parseBenchArgs(process.argv.slice(2));
runWithChildren('proxy-overhead', budgetSeconds(config), async (children, tmp) => {
  ensureTools(log);
  await bench(config, children, tmp);
});
