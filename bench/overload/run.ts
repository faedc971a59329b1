/**
 * Overload control on a simulated fleet with real capacity limits: open-loop Poisson arrivals at
 * 0.5x, 1x, 2x and 3x the fleet's capacity, two priority classes, two tenants (one sends 5x the
 * other), through the vllm-router program with admission control off and on. Then the affinity
 * wait: session routing near capacity with --affinity-max-wait-ms 0, 50 and 200. See README.md.
 *
 *   node bench/dist/overload/run.js [--quick] [--seconds s] [--levels 0.5,1,2,3] [--no-affinity] [--affinity-load 0.8] [--affinity-waits 0,50,200,500] [--json path] [--seed n]
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Children, startRouterProcess } from '../common/processes.js';
import { playOpenLoop } from './client.js';
import { EngineFleet } from './fleet.js';
import type { FleetConfig } from './fleet-types.js';
import { checkTargets, formatAffinityTable, formatOverloadTable, summarizeRun, type RunSummary } from './report.js';
import { meanServiceMs, planRequests, type WorkloadConfig } from './workload.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    levels: { type: 'string', default: '0.5,1,2,3' },
    affinity: { type: 'boolean', default: true },
    'no-affinity': { type: 'boolean', default: false },
    'affinity-load': { type: 'string', default: '0.8' },
    'affinity-waits': { type: 'string', default: '0,50,200,500' },
    json: { type: 'string' },
    seed: { type: 'string', default: '11' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/dist/overload/run.js [--quick] [--seconds s] [--levels 0.5,1,2,3] [--no-affinity] [--affinity-load 0.8] [--affinity-waits 0,50,200,500] [--json path] [--seed n]\n');
  process.exit(0);
}

const MODEL = 'sim-llm';
const log = (line: string) => void process.stderr.write(`${line}\n`);

/** Four engines of four slots; prefill 0.25 ms a prompt token, decode 20 ms a token (few timers: the machine is shared). */
const FLEET: FleetConfig = { engines: 4, model: MODEL, maxNumSeqs: 4, prefillMsPerToken: 0.25, tokenDelayMs: 20, blockSize: 16, numGpuBlocks: 4096, sampleMs: 20 };
const seconds = Number(values.seconds ?? (values.quick ? 10 : 20));
const WORKLOAD: Omit<WorkloadConfig, 'rate'> = {
  seed: Number(values.seed),
  seconds,
  urgentShare: 0.2,
  bigToSmall: 5,
  promptTokens: [200, 1000],
  outputTokens: [6, 18],
  sessions: 0,
  sessionPrefixTokens: 0,
};
/** Requests per second the fleet serves flat out: slots over the mean service time. */
const CAPACITY = (FLEET.engines * FLEET.maxNumSeqs * 1000) / meanServiceMs(WORKLOAD, FLEET);
const SLO_MS = 2000;
const QUEUE_TIMEOUT_S = 1.5;
/**
 * Requests beyond maxNumSeqs that may wait inside an engine. 0: the router holds every request no
 * slot is free for, so an urgent one goes next wherever a slot frees (one waiting in an engine
 * would sit behind a whole answer); the engine idles only for the router's hop between two requests.
 */
const HEADROOM = 0;
const SLACK_MS = 500;
const GRACE_MS = values.quick ? 3000 : 5000;

const ADMISSION_ON = [
  '--max-concurrency-per-engine', String(FLEET.maxNumSeqs + HEADROOM),
  '--queue-max-size', '64',
  '--queue-timeout-seconds', String(QUEUE_TIMEOUT_S),
  '--tenant-header', 'x-tenant',
  '--tenant-weights', 'big=1,small=1',
];

interface RunSpec {
  label: string;
  level: number;
  routerArgs: string[];
  workload: WorkloadConfig;
  fleet?: FleetConfig;
}

async function runOnce(children: Children, spec: RunSpec): Promise<RunSummary> {
  const fleet = await EngineFleet.start(children, spec.fleet ?? FLEET);
  const router = await startRouterProcess(children, [
    '--service-discovery', 'static',
    '--static-backends', fleet.engines.map((e) => e.url).join(','),
    '--static-models', fleet.engines.map(() => MODEL).join(','),
    '--engine-stats-interval', '1',
    ...spec.routerArgs,
  ]);
  try {
    const plan = planRequests(spec.workload);
    log(`[${spec.label} @ ${spec.level}x] ${plan.length} requests over ${spec.workload.seconds} s (${spec.workload.rate.toFixed(1)}/s)`);
    const results = await playOpenLoop(plan, { url: router.url, model: MODEL }, spec.workload.seconds * 1000 + GRACE_MS);
    const engines = await fleet.stats();
    const summary = summarizeRun({ label: spec.label, level: spec.level, offeredRps: spec.workload.rate, seconds: spec.workload.seconds, results, engines, sloMs: SLO_MS, timeoutMs: QUEUE_TIMEOUT_S * 1000, slackMs: SLACK_MS });
    const stats = (await (await fetch(`${router.url}/stats`)).json()) as { admission?: { queueing: boolean; models: Array<{ model: string; wait_ms: RunSummary['routerWait'] }> } };
    if (stats.admission?.queueing) summary.routerWait = stats.admission.models.find((m) => m.model === MODEL)?.wait_ms ?? null;
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    const affinity = (outcome: string) => Number(new RegExp(`vllm_router_affinity_waits_total\\{model="${MODEL}",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    if (spec.routerArgs.includes('--affinity-max-wait-ms')) summary.affinity = { preferred: affinity('preferred'), spilled: affinity('spilled') };
    return summary;
  } finally {
    await router.stop();
    await fleet.stop();
  }
}

const children = new Children();
process.on('exit', () => children.killAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    children.killAllNow();
    process.exit(130);
  });

const started = performance.now();
const load = loadavg();
try {
  const levels = values.levels.split(',').filter((l) => l.trim() !== '').map(Number);
  const rows: RunSummary[] = [];
  for (const level of levels)
    for (const [label, args] of [['off', ['--routing-logic', 'roundrobin']], ['on', ['--routing-logic', 'roundrobin', ...ADMISSION_ON]]] as const)
      rows.push(await runOnce(children, { label, level, routerArgs: [...args], workload: { ...WORKLOAD, rate: level * CAPACITY } }));

  if (rows.length) process.stdout.write(
    `\noverload: ${FLEET.engines} engines x ${FLEET.maxNumSeqs} slots, capacity ~${CAPACITY.toFixed(1)} req/s (mean service ${meanServiceMs(WORKLOAD, FLEET).toFixed(0)} ms), ` +
      `${seconds} s of Poisson arrivals per run, 20% urgent (priority 0) / 80% normal (1), tenants big:small = 5:1 with equal weights, TTFT SLO ${SLO_MS} ms; ` +
      `admission on = ${ADMISSION_ON.join(' ')}\n\n${formatOverloadTable(rows)}\n`,
  );
  const checks = rows.length ? checkTargets(rows.filter((r) => r.label === 'on'), { waitingBound: HEADROOM, smallWeightShare: 0.5 }) : [];
  if (checks.length) process.stdout.write('\ntargets (admission on):\n');
  for (const c of checks) process.stdout.write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
  const off2 = rows.find((r) => r.label === 'off' && r.level === 2);
  const on2 = rows.find((r) => r.label === 'on' && r.level === 2);
  if (off2 && on2) process.stdout.write(`  info  at 2x, goodput on/off: ${(on2.goodputRps / Math.max(off2.goodputRps, 0.001)).toFixed(2)}x; generator lag p99 ${Math.max(...rows.map((r) => r.lagP99)).toFixed(1)} ms; load average before ${load.map((l) => l.toFixed(1)).join(' ')}\n`);

  const affinityRows: RunSummary[] = [];
  if (values.affinity && !values['no-affinity']) {
    // Sessions with a 1,200-token prefix each: warm, a request prefills ~50 tokens (13 ms); cold,
    // ~1,250 (310 ms). 768 KV blocks of 16 tokens hold about 7 prefixes beside the running requests:
    // an engine keeps its own 6 sessions warm only if their requests stay with it.
    const sessionWorkload: Omit<WorkloadConfig, 'rate'> = { ...WORKLOAD, seed: WORKLOAD.seed + 1, promptTokens: [30, 70], sessions: 24, sessionPrefixTokens: 1200 };
    const sessionFleet: FleetConfig = { ...FLEET, numGpuBlocks: 768 };
    const warmCapacity = (FLEET.engines * FLEET.maxNumSeqs * 1000) / meanServiceMs(sessionWorkload, FLEET);
    const level = Number(values['affinity-load']);
    const rate = level * warmCapacity;
    const session = ['--routing-logic', 'session', '--session-key', 'x-session-id'];
    const on = [...session, '--max-concurrency-per-engine', String(FLEET.maxNumSeqs), '--queue-max-size', '256', '--queue-timeout-seconds', '5'];
    const settings: Array<[string, string[]]> = [['session, admission off', session]];
    for (const wait of values['affinity-waits'].split(',').map((w) => w.trim()))
      settings.push([`admission on, --affinity-max-wait-ms ${wait}${wait === '200' ? ' (default)' : ''}`, [...on, '--affinity-max-wait-ms', wait]]);
    for (const [label, args] of settings) affinityRows.push(await runOnce(children, { label, level, routerArgs: args, workload: { ...sessionWorkload, rate }, fleet: sessionFleet }));
    process.stdout.write(
      `\naffinity wait: 24 sessions with a 1,200-token prefix each, consistent hashing on x-session-id, ${rate.toFixed(1)} req/s (${level}x the warm-cache capacity), ${sessionFleet.numGpuBlocks} KV blocks per engine, --max-concurrency-per-engine ${FLEET.maxNumSeqs}\n\n${formatAffinityTable(affinityRows)}\n`,
    );
  }
  process.stdout.write(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  if (values.json) {
    await writeFile(values.json, `${JSON.stringify({ fleet: FLEET, workload: WORKLOAD, capacity: CAPACITY, sloMs: SLO_MS, admission: ADMISSION_ON, rows, targets: checks, affinity: affinityRows }, null, 2)}\n`);
    process.stdout.write(`wrote ${values.json}\n`);
  }
} finally {
  await children.stopAll();
}
