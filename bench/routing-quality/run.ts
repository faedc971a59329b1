/**
 * Routing quality on simulated engines: the same multi-turn, shared-document chat workload replayed
 * through the router under each policy, at a light and a saturating load. Reports prefix-cache hit
 * rate (simulators' counters), client-measured streaming TTFT, throughput, and how evenly engines
 * were loaded, then checks the cache-aware targets at saturating load.
 *
 *   node bench/dist/routing-quality/run.js [--json <path>] [--quick] [--policies a,b] [--levels light,saturating] [--seed n]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { EngineFleetConfig } from './fleet-types.js';
import { POLICIES } from './policies.js';
import { checkTargets, formatTable, summarize, type PolicyReport } from './report.js';
import { runPolicy } from './run-policy.js';
import { generateWorkload, type WorkloadConfig } from './workload.js';

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    policies: { type: 'string', default: 'roundrobin,session,leastload,prefixaware,oracle' },
    levels: { type: 'string', default: 'light,saturating' },
    seed: { type: 'string', default: '7' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/dist/routing-quality/run.js [--json <path>] [--quick] [--policies roundrobin,session,leastload,prefixaware,kvaware,oracle] [--levels light,saturating] [--seed n]\n');
  process.exit(0);
}

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
const LEVELS: Record<string, Pick<WorkloadConfig, 'requestRate' | 'sessions'>> = {
  light: { requestRate: 6, sessions: quick ? 16 : 24 },
  saturating: { requestRate: 28, sessions: quick ? 50 : 100 },
  /** Beyond what even perfect cache reuse can serve: shows how the policies degrade (not run by default). */
  overload: { requestRate: 60, sessions: quick ? 80 : 160 },
};

const policies = values.policies.split(',').map((p) => {
  const policy = POLICIES[p.trim()];
  if (!policy) throw new Error(`unknown policy "${p}" (known: ${Object.keys(POLICIES).join(', ')})`);
  return policy;
});
const levels = values.levels.split(',').map((l) => l.trim());

const output: Record<string, { workload: WorkloadConfig & { requests: number }; reports: PolicyReport[] }> = {};
const started = performance.now();
for (const level of levels) {
  const shape = LEVELS[level];
  if (!shape) throw new Error(`unknown level "${level}" (known: ${Object.keys(LEVELS).join(', ')})`);
  const workload = generateWorkload({ ...base, ...shape });
  const reports: PolicyReport[] = [];
  for (const policy of policies) {
    process.stderr.write(`[${level}] ${policy.name}: ${workload.requests} requests in ${workload.sessions.length} sessions at ~${shape.requestRate}/s ...\n`);
    const run = await runPolicy(policy, workload, FLEET, 120_000);
    const report = summarize(run);
    reports.push(report);
    process.stderr.write(`[${level}] ${policy.name}: done in ${report.wallSeconds.toFixed(1)} s${run.timedOut ? ' (TIMED OUT)' : ''}\n`);
  }
  output[level] = { workload: { ...workload.config, requests: workload.requests }, reports };
  const title = `\n${level}: ${workload.requests} requests, ${workload.sessions.length} sessions over ${base.documents} documents, ~${shape.requestRate} req/s offered, ${FLEET.engines} engines`;
  process.stdout.write(`${formatTable(title, reports)}\n`);
}

const saturating = output.saturating?.reports;
const checks = saturating ? checkTargets(saturating) : [];
if (checks.length) {
  process.stdout.write('\ntargets at saturating load:\n');
  for (const c of checks) process.stdout.write(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value.toFixed(2)}\n`);
}
process.stdout.write(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (values.json) {
  await writeFile(values.json, `${JSON.stringify({ fleet: FLEET, levels: output, targets: checks }, null, 2)}\n`);
  process.stdout.write(`wrote ${values.json}\n`);
}
