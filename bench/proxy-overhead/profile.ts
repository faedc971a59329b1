/**
 * Profiles the proxies under wrk load: each one runs with `node --cpu-prof` in front of the
 * fixed-answer upstream, is stopped with SIGTERM (which writes the profile), and its profile is
 * summarised: CPU per request, self time by area and function, and busy time charged to the
 * innermost proxy/src frame. `--rate <rps>` puts an open-loop fixed rate on it instead of wrk (where
 * CPU goes at moderate load: timers and per-request fixed costs weigh more there than at saturation).
 * Or summarise existing files: profile.js --summarize a.cpuprofile ...
 */
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Children } from './children.js';
import { formatSummary, summarizeProfile } from './cpuprofile.js';
import { log, runWithChildren } from './lifecycle.js';
import { runPaced, startBareProxy, startUpstream } from './own-programs.js';
import { cpuSecondsOf } from './procstat.js';
import { ensureTools } from './tools.js';
import { startRouter } from './vllm-router.js';
import { CHAT_BODY, CHAT_PATH } from './workload.js';
import { runWrk, writeWrkScript } from './wrk.js';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    summarize: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    targets: { type: 'string', default: 'vllm-router,bare-node' },
    out: { type: 'string' },
    top: { type: 'string', default: '25' },
    rate: { type: 'string' },
  },
});
const topN = Number(values.top);

type ProfiledKey = 'vllm-router' | 'vllm-router-info' | 'bare-node';

async function profileOne(children: Children, tmp: string, key: ProfiledKey, upstreamPort: number, script: string): Promise<void> {
  const dir = join(tmp, key);
  mkdirSync(dir, { recursive: true });
  const flags = ['--cpu-prof', '--cpu-prof-dir', dir];
  const cli = fileURLToPath(new URL('../../../proxy/dist/cli.js', import.meta.url));
  const spawnedAt = performance.now();
  const started =
    key === 'bare-node'
      ? await startBareProxy(children, upstreamPort, flags)
      : await startRouter(children, { cli, upstreamPort, logLevel: key === 'vllm-router' ? 'warn' : 'info', logFile: join(tmp, `${key}.log`), nodeFlags: flags });
  const seconds = Number(values.seconds);
  const loadFromMs = performance.now() - spawnedAt;
  const url = `http://127.0.0.1:${started.port}${CHAT_PATH}`;
  const cpuBefore = cpuSecondsOf(started.child.pid);
  const r = values.rate === undefined ? await runWrk(children, { url, seconds, threads: 2, connections: Number(values.connections), script }) : await paced(children, url, Number(values.rate), seconds);
  const cpu = cpuSecondsOf(started.child.pid) - cpuBefore;
  log(`${key}: ${Math.round(r.rps)} req/s, ${r.requests} requests, ${((cpu * 1e6) / r.requests).toFixed(1)} us CPU/request (from /proc)`);
  await children.stop(started.child, 15_000);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${key}: no .cpuprofile written in ${dir}`);
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    cpSync(join(dir, file), join(values.out, `${key}.cpuprofile`));
  }
  const load = values.rate === undefined ? `wrk -c${values.connections}` : `${values.rate} req/s fixed rate`;
  // Start-up (module loading, JIT warm-up) is left out: the profile is summarised from the load's start on.
  const summary = summarizeProfile(join(dir, file), topN, loadFromMs);
  process.stdout.write(`\n${formatSummary(`${key} (${load} ${seconds}s, from the load's start on)`, summary, r.requests)}\n`);
}

/** The open-loop generator alone on one target; requests counts the warm-up second too. */
async function paced(children: Children, url: string, rate: number, seconds: number): Promise<{ rps: number; requests: number }> {
  const [r] = await runPaced(children, { urls: [url], body: CHAT_BODY, rate, warmupSeconds: 1, seconds, sliceMs: 1000, connections: 64, graceMs: 3000 });
  return { rps: r!.achievedRate, requests: r!.scheduled + rate };
}

if (values.summarize) {
  for (const file of positionals) process.stdout.write(`\n${formatSummary(file, summarizeProfile(file, topN), 0)}\n`);
} else {
  const keys = values.targets.split(',').map((s) => s.trim()) as ProfiledKey[];
  runWithChildren('proxy-profile', 60 + keys.length * (Number(values.seconds) + 30), async (children, tmp) => {
    ensureTools(log);
    const upstream = await startUpstream(children, 8, 5);
    const script = writeWrkScript(tmp, CHAT_BODY);
    for (const key of keys) await profileOne(children, tmp, key, upstream.port, script);
    if (values.out) log(`profiles copied to ${values.out}`);
  });
}
