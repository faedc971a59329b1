/**
 * Disaggregated prefill on simulated engines: the same engine count run aggregated (leastload) and
 * split into prefill and decode engines (disaggregated_prefill_orchestrated), on a long-prompt chat
 * workload at fixed request rates up to saturation, and a short-prompt one at one rate. Reports
 * client-measured TTFT and inter-token latency (p50, p99) and throughput. The engines run shared
 * steps with chunked prefill (see test/sim/chunked-prefill.ts), so on an aggregated engine a new
 * prompt stalls the running decodes: the cost disaggregation removes, and pays for with a second
 * hop, a KV transfer and fewer engines computing prompts.
 *
 *   node bench/dist/disagg/run.js [--json <path>] [--quick] [--seconds n] [--seed n]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startRouter, type RunningRouter } from '@vllm-router/test/dist/helpers/router.js';
import { BENCH_ROUTER } from '../routing-quality/run-policy.js';
import { GROUPS, type Deployment } from './configs.js';
import { Fleet } from './fleet.js';
import type { EnginePhysics } from './fleet-types.js';
import { runLoad, type LoadPlan } from './load.js';
import { formatTable, summarizeRun, type RunReport } from './report.js';

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    seed: { type: 'string', default: '11' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/dist/disagg/run.js [--json <path>] [--quick] [--seconds n] [--seed n]\n');
  process.exit(0);
}

/**
 * Every engine: a 50 ms decode step, 0.25 ms per prompt token (a 2,000-token prompt is 500 ms of
 * compute), up to 2,048 tokens per step (such a prompt is one chunk, so it stalls every running
 * decode on its engine by ~500 ms), 32 sequences, and 0.005 ms per token to receive a prompt's KV
 * cache (10 ms for 2,000 tokens: a fast RDMA link). Steps this long keep the timing well above
 * the event-loop jitter of a busy 2-core machine (tens of ms), which shorter ones drown in.
 */
const PHYSICS: EnginePhysics = {
  model: 'sim-llm',
  tokenDelayMs: 50,
  prefillMsPerToken: 0.25,
  maxNumBatchedTokens: 2048,
  maxNumSeqs: 32,
  numGpuBlocks: 8192,
  kvTransferMsPerToken: 0.005,
};

const quick = values.quick;
const seconds = Number(values.seconds ?? (quick ? 10 : 30));
interface Workload {
  name: string;
  promptChars: number;
  outputTokens: number;
  /** Offered request rates per engine group. */
  rates: Record<string, number[]>;
}
/**
 * Long prompts (2,000 tokens, 64 out) from light load to past the split deployments' prefill
 * capacity (one prefill engine computes 2 prompts/s: 1P1D and 1P3D saturate at 2 req/s, 2P2D at 4);
 * short prompts (100 tokens) at one moderate rate.
 */
const WORKLOADS: Workload[] = [
  {
    name: 'long prompt',
    promptChars: 8000,
    outputTokens: 64,
    rates: quick ? { '2 engines': [0.25, 1.5], '4 engines': [0.5, 3] } : { '2 engines': [0.25, 0.75, 1.5, 2.25], '4 engines': [0.5, 1.5, 3, 4.5] },
  },
  { name: 'short prompt', promptChars: 400, outputTokens: 64, rates: { '2 engines': [1.5], '4 engines': [3] } },
];

async function runOne(deployment: Deployment, workload: Workload, rate: number, seed: number): Promise<{ samples: Awaited<ReturnType<typeof runLoad>>['samples']; maxQueue: number }> {
  const fleet = await Fleet.start({ physics: PHYSICS, engines: deployment.engines });
  let router: RunningRouter | undefined;
  try {
    const engines = deployment.engines.map((spec, i) => ({ id: spec.id, url: fleet.engines[i]!.url, models: [PHYSICS.model], ...(spec.role ? { role: spec.role } : {}) }));
    router = await startRouter({ engines, routingLogic: deployment.logic }, BENCH_ROUTER);
    const plan: LoadPlan = { model: PHYSICS.model, rate, durationMs: seconds * 1000, promptChars: workload.promptChars, outputTokens: workload.outputTokens, seed };
    const { samples } = await runLoad(router.url, plan, seconds * 1000 + 90_000);
    const counters = await fleet.counters();
    return { samples, maxQueue: Math.max(...counters.map((c) => c.maxQueueLength)) };
  } finally {
    await router?.close();
    await fleet.stop();
  }
}

const reports: RunReport[] = [];
const started = performance.now();
for (const workload of WORKLOADS)
  for (const [group, deployments] of Object.entries(GROUPS))
    for (const rate of workload.rates[group] ?? [])
      for (const deployment of deployments) {
        const t0 = performance.now();
        const { samples, maxQueue } = await runOne(deployment, workload, rate, Number(values.seed));
        const report = summarizeRun({ workload: workload.name, group, deployment: deployment.name, baseline: deployment.baseline, rate }, samples, maxQueue);
        reports.push(report);
        process.stderr.write(
          `[${workload.name}, ${group}, ${rate} req/s] ${deployment.name}: ${report.requests} requests, TTFT p50 ${report.ttftP50.toFixed(0)} ms, ITL p99 ${report.itlP99.toFixed(0)} ms (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
        );
      }

process.stdout.write(`\n${formatTable(reports)}\n`);
process.stdout.write(`\n${seconds} s of arrivals per run; total ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (values.json) {
  await writeFile(values.json, `${JSON.stringify({ physics: PHYSICS, seconds, workloads: WORKLOADS, reports }, null, 2)}\n`);
  process.stdout.write(`wrote ${values.json}\n`);
}
