/**
 * Batch throughput benchmark: a large batch through the vllm-router program to engine simulators,
 * and what it does to interactive latency through the same router. See bench/batch/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseBenchArgs, type BatchBenchConfig } from './args.js';
import { batchJsonl, batchLineMetrics, checkOutput, isTerminal, uploadAndCreate, waitForBatch } from './batch-client.js';
import { InteractiveLoad, type InteractiveSample } from './interactive-load.js';
import { Children, startRouter, startSims } from './processes.js';
import { formatTable, type BatchBenchResult } from './report.js';
import { summarize } from './stats.js';

const MODEL = 'bench-model';
const log = (line: string) => void process.stderr.write(`${line}\n`);

function summarizeSamples(samples: InteractiveSample[], from = -Infinity, to = Infinity) {
  const inWindow = samples.filter((s) => s.dueAt >= from && s.dueAt <= to);
  return summarize(
    inWindow.filter((s) => s.ok).map((s) => s.latencyMs),
    inWindow.filter((s) => !s.ok).length,
  );
}

async function bench(config: BatchBenchConfig, children: Children, storage: string): Promise<BatchBenchResult> {
  const loadBefore = loadavg();
  const sims = await startSims(children, { sims: config.sims, model: MODEL, tokenDelayMs: config.tokenDelayMs, maxNumSeqs: config.maxNumSeqs });
  const url = await startRouter(children, [
    '--service-discovery', 'static',
    '--static-backends', sims.urls.join(','),
    '--static-models', sims.urls.map(() => MODEL).join(','),
    '--routing-logic', 'roundrobin',
    '--enable-batch-api', '--file-storage-path', storage,
    '--batch-concurrency', String(config.batchConcurrency),
  ]);
  log(`vllm-router on ${url}, ${config.sims} sims`);
  const interactiveBody = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi! Two words, please.' }], max_tokens: config.interactiveTokens, ignore_eos: true });
  const runLoad = async (seconds: number) => {
    const load = new InteractiveLoad(url, interactiveBody, config.rps);
    load.start();
    await delay(seconds * 1000);
    return load.stop();
  };

  log(`warm-up ${config.warmupSeconds} s, then ${config.baselineSeconds} s of ${config.rps} interactive req/s with no batch`);
  await runLoad(config.warmupSeconds);
  const baseline = summarizeSamples(await runLoad(config.baselineSeconds));

  log(`uploading a ${config.lines}-line batch`);
  const uploadStart = performance.now();
  const content = batchJsonl(config.lines, MODEL, config.lineTokens);
  const before = await sims.stats();
  const load = new InteractiveLoad(url, interactiveBody, config.rps);
  load.start();
  const created = await uploadAndCreate(url, content);
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  const remaining = () => config.budgetSeconds * 1000 - performance.now();
  await waitForBatch(url, created.id, (b) => b.status !== 'validating', remaining());
  const runStart = performance.now();
  log(`batch ${created.id} in progress`);
  let lastLog = runStart;
  const done = await waitForBatch(
    url,
    created.id,
    (b) => {
      if (performance.now() - lastLog > 5_000) {
        lastLog = performance.now();
        log(`  ${b.request_counts.completed} / ${b.request_counts.total} lines`);
      }
      return isTerminal(b);
    },
    remaining(),
  );
  const runEnd = performance.now();
  const samples = await load.stop();
  const after = await sims.stats();

  const output = await checkOutput(url, done.output_file_id);
  const engineRequests = after.requests.reduce((a, n) => a + n, 0) - before.requests.reduce((a, n) => a + n, 0);
  const runSeconds = (runEnd - runStart) / 1000;
  return {
    config,
    machine: { cpus: cpus().length, loadBefore, loadAfter: loadavg() },
    baseline,
    duringBatch: summarizeSamples(samples, runStart, runEnd),
    batch: {
      lines: config.lines,
      status: done.status,
      completed: done.request_counts.completed,
      failed: done.request_counts.failed,
      runSeconds,
      linesPerSecond: done.request_counts.completed / runSeconds,
      uploadSeconds,
      outputLines: output.lines,
      duplicateIds: output.duplicates,
      metrics: await batchLineMetrics(url),
      extraEngineRequests: engineRequests - samples.length - config.lines,
      maxSimQueue: after.maxQueue,
    },
  };
}

/** Run with every child killed at the end, on error, on a signal and past the time budget. */
function main(): void {
  const config = parseBenchArgs(process.argv.slice(2));
  const children = new Children();
  const storage = mkdtempSync(join(tmpdir(), 'vllm-router-batch-bench-'));
  let finishing: Promise<void> | undefined;
  const finish = (code: number) =>
    (finishing ??= children
      .stopAll()
      .finally(() => rmSync(storage, { recursive: true, force: true }))
      .finally(() => process.exit(code)));
  process.on('exit', () => children.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void finish(130));
  setTimeout(() => {
    log(`batch bench: over its ${config.budgetSeconds} s budget; stopping`);
    void finish(3);
  }, config.budgetSeconds * 1000).unref();

  bench(config, children, storage).then(
    (result) => {
      process.stdout.write(`\n${formatTable(result)}\n`);
      if (config.jsonPath) {
        mkdirSync(dirname(config.jsonPath), { recursive: true });
        writeFileSync(config.jsonPath, `${JSON.stringify({ finished: new Date().toISOString(), ...result }, null, 2)}\n`);
        log(`wrote ${config.jsonPath}`);
      }
      const ok = result.batch.status === 'completed' && result.batch.outputLines === config.lines && result.batch.duplicateIds === 0;
      void finish(ok ? 0 : 1);
    },
    (err: unknown) => {
      log(`batch bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      void finish(1);
    },
  );
}

main();
