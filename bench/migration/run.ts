/**
 * Request-migration benchmark: streamed chat completions through the vllm-router program while
 * engines are killed at random, with migration on and off under the same seeded kill schedule.
 * See the "migration" section of bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { outputText } from '@vllm-router/test/dist/sim/index.js';
import { Children, startRouter } from '../batch/processes.js';
import { parseBenchArgs, type MigrationBenchConfig } from './args.js';
import { KillableFleet } from './fleet.js';
import { formatTable, percentiles, type MigrationBenchResult, type ModeResult } from './report.js';
import { streamOnce, type StreamResult } from './stream-client.js';

const MODEL = 'bench-model';
const log = (line: string) => void process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** mulberry32: the kill schedule is the same for every mode. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function runMode(config: MigrationBenchConfig, children: Children, attempts: number): Promise<ModeResult> {
  const fleet = await KillableFleet.start(children, { engines: config.engines, model: MODEL, tokenDelayMs: config.tokenDelayMs, prefillMsPerToken: config.prefillMsPerToken, outputTokens: config.outputTokens });
  const url = await startRouter(children, [
    '--service-discovery', 'static',
    '--static-backends', fleet.engines.map((e) => e.url).join(','),
    '--static-models', fleet.engines.map(() => MODEL).join(','),
    '--routing-logic', 'roundrobin',
    '--request-migration-attempts', String(attempts),
    '--connect-timeout-ms', '500',
    '--first-byte-timeout-ms', '5000',
  ]);
  const mode = attempts > 0 ? 'migration on' : 'migration off';
  log(`${mode}: vllm-router on ${url}, ${config.engines} engines`);
  const expected = outputText(config.outputTokens);
  const controller = new AbortController();
  const results: StreamResult[] = [];
  const endAt = performance.now() + config.seconds * 1000;
  let n = 0;
  const client = async () => {
    while (performance.now() < endAt) results.push(await streamOnce(url, MODEL, `Question ${n++}: tell me a story.`, expected, controller.signal));
  };
  // Kills on a seeded schedule; an engine is not killed again while it is down, and one stays up.
  const random = seeded(config.seed);
  const downUntil = new Array<number>(config.engines).fill(0);
  let kills = 0;
  const killer = async () => {
    for (;;) {
      await sleep(config.killEveryMs * (0.5 + random()));
      const now = performance.now();
      if (now >= endAt) return;
      const up = downUntil.map((t, i) => (t <= now ? i : -1)).filter((i) => i >= 0);
      const index = up[Math.floor(random() * up.length)];
      if (index === undefined || up.length < 2) continue;
      downUntil[index] = now + config.downMs + 200;
      fleet.kill(index, config.downMs);
      kills++;
    }
  };
  const hardStop = setTimeout(() => controller.abort(), config.seconds * 1000 + 30_000);
  await Promise.all([killer(), ...Array.from({ length: config.concurrency }, client)]);
  clearTimeout(hardStop);
  const { migrations, pauseMeanMs } = await routerMigrationMetrics(url);
  await fleet.stop();

  const errors: Record<string, number> = {};
  for (const r of results) if (!r.completed) errors[r.error ?? 'ended without [DONE]'] = (errors[r.error ?? 'ended without [DONE]'] ?? 0) + 1;
  const normal = results.flatMap((r) => r.normalGaps);
  const normalP50 = percentiles(normal).p50;
  const migration = results.filter((r) => r.completed).flatMap((r) => r.migrationGaps);
  return {
    mode,
    attempts,
    streams: results.length,
    completed: results.filter((r) => r.completed).length,
    exact: results.filter((r) => r.exact).length,
    moved: results.filter((r) => r.engines.length > 1).length,
    kills,
    normalGapMs: percentiles(normal),
    migrationGapMs: percentiles(migration),
    addedGapMs: percentiles(migration.map((g) => g - normalP50)),
    routerPauseMeanMs: pauseMeanMs,
    migrations,
    errors,
  };
}

/** The router's own view: migrations by reason/outcome, and its mean pause (break to first continuation chunk). */
async function routerMigrationMetrics(url: string): Promise<{ migrations: Record<string, number>; pauseMeanMs: number }> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const migrations: Record<string, number> = {};
  let pauseSum = 0;
  let pauseCount = 0;
  for (const line of text.split('\n')) {
    const m = /^vllm_router_request_migrations_total\{model="[^"]*",reason="([^"]+)",outcome="([^"]+)"\} (\d+)/.exec(line);
    if (m) migrations[`${m[1]}/${m[2]}`] = Number(m[3]);
    const sum = /^vllm_router_request_migration_pause_seconds_sum\{[^}]*\} ([\d.e+-]+)/.exec(line);
    if (sum) pauseSum += Number(sum[1]);
    const count = /^vllm_router_request_migration_pause_seconds_count\{[^}]*\} (\d+)/.exec(line);
    if (count) pauseCount += Number(count[1]);
  }
  return { migrations, pauseMeanMs: pauseCount ? (1000 * pauseSum) / pauseCount : Number.NaN };
}

async function bench(config: MigrationBenchConfig, children: Children): Promise<MigrationBenchResult> {
  const loadBefore = loadavg();
  const modes: ModeResult[] = [];
  for (const attempts of [1, 0]) {
    modes.push(await runMode(config, children, attempts));
    await children.stopAll();
  }
  return { config, machine: { cpus: cpus().length, loadBefore, loadAfter: loadavg() }, modes };
}

/** Run with every child killed at the end, on error, on a signal and past the time budget. */
function main(): void {
  const config = parseBenchArgs(process.argv.slice(2));
  const children = new Children();
  let finishing: Promise<void> | undefined;
  const finish = (code: number) => (finishing ??= children.stopAll().finally(() => process.exit(code)));
  process.on('exit', () => children.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void finish(130));
  setTimeout(() => {
    log(`migration bench: over its ${config.budgetSeconds} s budget; stopping`);
    void finish(3);
  }, config.budgetSeconds * 1000).unref();

  bench(config, children).then(
    (result) => {
      process.stdout.write(`\n${formatTable(result)}\n`);
      if (config.jsonPath) {
        mkdirSync(dirname(config.jsonPath), { recursive: true });
        writeFileSync(config.jsonPath, `${JSON.stringify({ finished: new Date().toISOString(), ...result }, null, 2)}\n`);
        log(`wrote ${config.jsonPath}`);
      }
      void finish(0);
    },
    (err: unknown) => {
      log(`migration bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      void finish(1);
    },
  );
}

main();
