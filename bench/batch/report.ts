import type { BatchBenchConfig } from './args.js';
import type { LatencySummary } from './stats.js';

export interface BatchBenchResult {
  config: BatchBenchConfig;
  machine: { cpus: number; loadBefore: number[]; loadAfter: number[] };
  baseline: LatencySummary;
  duringBatch: LatencySummary;
  batch: {
    lines: number;
    status: string;
    completed: number;
    failed: number;
    /** From the first poll that saw in_progress to the first that saw it terminal. */
    runSeconds: number;
    linesPerSecond: number;
    uploadSeconds: number;
    outputLines: number;
    duplicateIds: number;
    /** vllm_router_batch_lines_total by outcome. */
    metrics: Record<string, number>;
    /** Chat requests the sims received during the batch phase minus interactive ones: lines sent more than once. */
    extraEngineRequests: number;
    maxSimQueue: number;
  };
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');

export function formatTable(r: BatchBenchResult): string {
  const row = (name: string, s: LatencySummary, rate: string) =>
    `| ${name} | ${s.requests} | ${s.errors} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} | ${rate} |`;
  const c = r.config;
  const b = r.batch;
  return [
    '| interactive load | requests | errors | p50 ms | p90 ms | p99 ms | max ms | batch lines/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('no batch running', r.baseline, '-'),
    row(`${b.lines.toLocaleString('en-US')}-line batch running`, r.duringBatch, b.linesPerSecond.toFixed(0)),
    '',
    `batch: ${b.status}, ${b.completed} completed, ${b.failed} failed in ${b.runSeconds.toFixed(1)} s (upload ${b.uploadSeconds.toFixed(1)} s); ` +
      `output ${b.outputLines} lines, ${b.duplicateIds} duplicate custom_ids; metrics ${JSON.stringify(b.metrics)}; ` +
      `engine requests beyond one per line: ${b.extraEngineRequests}; longest sim queue ${b.maxSimQueue}`,
    `setup: ${c.sims} sims (--max-num-seqs ${c.maxNumSeqs}, ${c.tokenDelayMs} ms/token), batch lines ${c.lineTokens} tokens, ` +
      `--batch-concurrency ${c.batchConcurrency}; interactive ${c.rps} req/s open loop, ${c.interactiveTokens} tokens, latency from the scheduled send; ` +
      `${r.machine.cpus} CPUs shared by everything, load average ${r.machine.loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${r.machine.loadAfter.map((l) => l.toFixed(1)).join(' ')} after`,
  ].join('\n');
}
