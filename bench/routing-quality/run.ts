/**
 * Routing quality on simulated engines: the same multi-turn, shared-document chat workload replayed
 * through the router under each policy, at a light and a saturating load. Reports prefix-cache hit
 * rate (simulators' counters), client-measured streaming TTFT, throughput, and how evenly engines
 * were loaded, then checks the cache-aware targets at saturating load.
 *
 * Each policy runs `--runs` times on the same workload (the order of policies rotates between rounds,
 * so machine noise does not fall on one policy); the table shows each policy's median run, and a
 * second table the spread over the runs.
 *
 *   node bench/dist/routing-quality/run.js [--json <path>] [--quick] [--runs n] [--policies a,b] [--levels light,saturating,shared] [--seed n]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { EngineFleetConfig } from './fleet-types.js';
import { POLICIES } from './policies.js';
import { checkTargets, formatTable, summarize, type PolicyReport, type TargetCheck } from './report.js';
import { BENCH_ROUTER, runPolicy } from './run-policy.js';
import { checkStability, formatSpread, median, medianRun, spreadOf, type PolicySpread } from './spread.js';
import { generateWorkload, type WorkloadConfig } from './workload.js';

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    policies: { type: 'string', default: 'roundrobin,session,leastload,prefixaware,oracle' },
    levels: { type: 'string', default: 'light,saturating,shared' },
    seed: { type: 'string', default: '7' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/dist/routing-quality/run.js [--json <path>] [--quick] [--runs n] [--policies roundrobin,session,leastload,prefixaware,kvaware,oracle] [--levels light,saturating,shared,overload] [--seed n]\n');
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be an integer from 1 to 50, got "${values.runs}"`);

/**
 * Four engines whose prefill dominates when the cache misses: 0.5 ms per uncached prompt token
 * (a ~1,300-token conversation costs ~650 ms cold, ~40 ms warm), 4 sequences at a time, and a KV
 * cache of 400 blocks of 16 tokens: room for about four of the twelve documents per engine.
 */
const FLEET: EngineFleetConfig = {
  engines: 4,
  model: 'sim-llm',
  maxNumSeqs: 4,
  prefillMsPerToken: 0.5,
  tokenDelayMs: 15,
  numGpuBlocks: 400,
  blockSize: 16,
  outputTokens: 20,
};

const quick = values.quick;
const base: Omit<WorkloadConfig, 'requestRate' | 'sessions'> = {
  seed: Number(values.seed),
  documents: 12,
  systemChars: 800,
  documentChars: 4400,
  userChars: 200,
  turnsMin: 2,
  turnsMax: 5,
  thinkMs: 1000,
};
/** Requests per second offered; round robin's capacity on this fleet is about 20/s, cache-aware's over 40/s. */
interface Level extends Pick<WorkloadConfig, 'requestRate' | 'sessions'>, Partial<Pick<WorkloadConfig, 'documents' | 'turnsMin' | 'turnsMax'>> {
  /** Engine settings of this level that differ from FLEET's. */
  fleet?: Partial<EngineFleetConfig>;
}
const LEVELS: Record<string, Level> = {
  light: { requestRate: 6, sessions: quick ? 16 : 24 },
  saturating: { requestRate: 28, sessions: quick ? 50 : 100 },
  /** Beyond what even perfect cache reuse can serve: shows how the policies degrade (not run by default). */
  overload: { requestRate: 60, sessions: quick ? 80 : 160 },
  /**
   * Issue 17's prefix-sharing workload: 8 documents shared by 32 sessions of 4-8 turns, ~8 req/s, on
   * engines of 220 KV blocks of 16 tokens (about 2.7 documents): two documents and their sessions' turns
   * fit one engine's cache, three do not, so where each document's first turn lands decides the run.
   */
  shared: { requestRate: 8, sessions: quick ? 16 : 32, documents: 8, turnsMin: 4, turnsMax: 8, fleet: { numGpuBlocks: 220 } },
};

const policies = values.policies.split(',').map((p) => {
  const policy = POLICIES[p.trim()];
  if (!policy) throw new Error(`unknown policy "${p}" (known: ${Object.keys(POLICIES).join(', ')})`);
  return policy;
});
const levels = values.levels.split(',').map((l) => l.trim());

const output: Record<string, { workload: WorkloadConfig & { requests: number }; fleet: EngineFleetConfig; runs: Record<string, PolicyReport[]>; spread: PolicySpread[] }> = {};
const stability: TargetCheck[] = [];
const started = performance.now();
for (const level of levels) {
  const shape = LEVELS[level];
  if (!shape) throw new Error(`unknown level "${level}" (known: ${Object.keys(LEVELS).join(', ')})`);
  const { fleet: fleetOverrides, ...workloadShape } = shape;
  const fleet: EngineFleetConfig = { ...FLEET, ...fleetOverrides };
  const workload = generateWorkload({ ...base, ...workloadShape });
  const byPolicy = new Map<string, PolicyReport[]>(policies.map((p) => [p.name, []]));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < policies.length; k++) {
      const policy = policies[(k + round) % policies.length]!;
      const run = await runPolicy(policy, workload, fleet, 120_000, (round * 1000 * BENCH_ROUTER.engineStatsInterval) / runs);
      const report = summarize(run, workload);
      byPolicy.get(policy.name)!.push(report);
      process.stderr.write(
        `[${level}] run ${round + 1}/${runs} ${policy.name}: ${workload.requests} requests in ${report.wallSeconds.toFixed(1)} s, hit rate ${(report.hitRate * 100).toFixed(1)}%, mean TTFT ${report.meanTtftMs.toFixed(0)} ms, documents per engine ${report.engineDocuments.join('/')}${run.timedOut ? ' (TIMED OUT)' : ''}\n`,
      );
    }
  }
  const oracleRuns = byPolicy.get('oracle');
  const oracleHitRate = oracleRuns ? median(oracleRuns.map((r) => r.hitRate)) : NaN;
  const spread = policies.map((p) => spreadOf(byPolicy.get(p.name)!, oracleHitRate));
  output[level] = { workload: { ...workload.config, requests: workload.requests }, fleet, runs: Object.fromEntries(byPolicy), spread };
  const documents = shape.documents ?? base.documents;
  const title = `\n${level}: ${workload.requests} requests, ${workload.sessions.length} sessions over ${documents} documents, ~${shape.requestRate} req/s offered, ${fleet.engines} engines of ${fleet.numGpuBlocks} KV blocks; median run of ${runs} by mean TTFT`;
  process.stdout.write(`${formatTable(title, policies.map((p) => medianRun(byPolicy.get(p.name)!)))}\n`);
  process.stdout.write(`${formatSpread(`\n${level}: spread over ${runs} runs`, spread)}\n`);
  for (const check of checkStability(spread)) stability.push({ ...check, name: `[${level}] ${check.name}` });
}

const saturating = output.saturating;
const checks = [...(saturating ? checkTargets(policies.map((p) => medianRun(saturating.runs[p.name]!))) : []), ...stability];
if (checks.length) {
  process.stdout.write('\ntargets (saturating: median runs; stability: every level):\n');
  for (const c of checks) process.stdout.write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value.toFixed(2)}\n`);
}
process.stdout.write(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (values.json) {
  await writeFile(values.json, `${JSON.stringify({ fleet: FLEET, runs, levels: output, targets: checks }, null, 2)}\n`);
  process.stdout.write(`wrote ${values.json}\n`);
}
