import { expect } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { isOpenAIErrorBody, parseResponses, rawExchange, type ParsedResponse } from '../helpers/raw-http.js';

/**
 * What every fuzz suite shares: the real `vllm-router` program (a crash shows as its exit) in front
 * of a simulator, in a temp tree whose only writable places are the storage dir and an empty working
 * dir; the seed and budget; and the properties every answer must have.
 *
 * `make test` runs with the fixed seed below and FUZZ_SCALE=1; `make fuzz` sets FUZZ_SEED to a random
 * value (printed, so a failure can be replayed with FUZZ_SEED=<seed> make fuzz) and FUZZ_SCALE=10.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 1111);
export const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 1);

/** fast-check settings: the seed, runs scaled by FUZZ_SCALE, and a time budget after which a run stops (not fails). */
export function fuzzParams(runs: number, budgetMs: number) {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.round(runs * FUZZ_SCALE),
    interruptAfterTimeLimit: Math.round(budgetMs * FUZZ_SCALE),
    markInterruptAsFailure: false,
    endOnFailure: true,
  };
}

/** Jest's timeout for a property run with this budget: the budget (scaled) plus time to start and check. */
export function fuzzTimeout(budgetMs: number): number {
  return Math.round(budgetMs * FUZZ_SCALE) + 30_000;
}

export const ALIAS = 'fuzz-alias';
export const MODELS = ['fuzz-a', 'fuzz-b'] as const;

export interface FuzzTarget {
  router: RouterProcess;
  host: string;
  port: number;
  url: string;
  /** The router's storage dir (files and batches). */
  storage: string;
  /** Everything else the router may write to: must stay empty. */
  cwd: string;
  root: string;
  sim: EngineSim;
  close(): Promise<void>;
}

export async function startFuzzTarget(extraArgs: string[] = []): Promise<FuzzTarget> {
  process.stdout.write(`fuzz seed ${FUZZ_SEED}, scale ${FUZZ_SCALE} (replay: FUZZ_SEED=${FUZZ_SEED} make fuzz)\n`);
  const root = await mkdtemp(join(tmpdir(), 'vllm-router-fuzz-'));
  const storage = join(root, 'storage');
  const cwd = join(root, 'cwd');
  await mkdir(cwd);
  const sim = await startEngineSim({ engineId: 'fuzz-sim', host: '127.0.0.2', models: [...MODELS], outputTokens: 4 });
  const router = await spawnRouter(
    [
      '--service-discovery', 'static',
      '--static-backends', `${sim.url},${sim.url}`,
      '--static-models', MODELS.join(','),
      '--static-aliases', `${ALIAS}:${MODELS[0]}`,
      '--routing-logic', 'prefixaware',
      '--enable-batch-api',
      '--file-storage-path', storage,
      '--max-file-bytes', String(64 * 1024),
      '--max-body-bytes', String(256 * 1024),
      '--request-header-timeout-ms', '3000',
      '--request-body-timeout-ms', '3000',
      // JSON lines, so a suite can say nothing was logged at ERROR.
      '--log-format', 'json',
      ...extraArgs,
    ],
    10_000,
    {},
    cwd,
  );
  const u = new URL(router.url);
  return {
    router,
    host: u.hostname,
    port: Number(u.port),
    url: router.url,
    storage,
    cwd,
    root,
    sim,
    close: async () => {
      await router.stop();
      await sim.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The router process is still running. */
export function expectAlive(target: FuzzTarget): void {
  if (target.router.child.exitCode !== null || target.router.child.signalCode !== null)
    throw new Error(`the router exited (${target.router.child.exitCode ?? target.router.child.signalCode}):\n${target.router.output().slice(-4000)}`);
}

/**
 * Properties of one answer to a client's (possibly hostile) request: an OpenAI-shaped JSON error for
 * every 4xx/5xx, and no 5xx at all, since the engine behind the router is healthy (every fault is
 * the client's). Throws with the answer when one fails.
 */
/** FastAPI's answer for a route or method an engine lacks (vLLM's 404/405), relayed by the router. */
function isEngineDetailBody(response: ParsedResponse): boolean {
  if (response.status !== 404 && response.status !== 405) return false;
  try {
    const body = JSON.parse(response.body.toString()) as unknown;
    return typeof body === 'object' && body !== null && typeof (body as { detail?: unknown }).detail === 'string';
  } catch {
    return false;
  }
}

export function checkAnswer(response: ParsedResponse, what: string): void {
  if (response.status >= 400) {
    // An engine's own answer is relayed as it is: vLLM (and the simulator, which copies it) answers a
    // path it lacks with FastAPI's {"detail": ...}, which the router must not rewrite.
    if (!isOpenAIErrorBody(response.body) && !isEngineDetailBody(response))
      throw new Error(`${what}: ${response.status} without an OpenAI error body: ${response.body.toString().slice(0, 300)}`);
    // 501 unsupported_by_backend is the designed answer for an endpoint the engine's kind lacks.
    if (response.status >= 500 && !(response.status === 501 && response.body.includes('"unsupported_by_backend"'))) throw new Error(`${what}: ${response.status} for a client fault: ${response.body.toString().slice(0, 300)}`);
  }
}

/**
 * Raw bytes back from the router are whole, well-formed HTTP responses (pipelined ones in a row), at
 * most one per request sent (and one for trailing garbage), each passing checkAnswer.
 */
export function checkRawAnswer(bytes: Buffer, requestsSent: number, what: string): ParsedResponse[] {
  const parsed = parseResponses(bytes);
  if (parsed.problem) throw new Error(`${what}: malformed answer (${parsed.problem}): ${JSON.stringify(bytes.toString('latin1').slice(0, 400))}`);
  // Interim answers (100 Continue) come before a final one and don't count. Bytes left over after a
  // request (a short Content-Length, junk) read as one more, malformed request: one 400, then close.
  const finals = parsed.responses.filter((r) => r.status >= 200);
  if (finals.length > requestsSent + 1) throw new Error(`${what}: ${finals.length} answers to ${requestsSent} requests`);
  for (const r of parsed.responses) checkAnswer(r, what);
  return parsed.responses;
}

const PROM_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)( -?[0-9]+)?$/;

/** GET /metrics answers 200 with text every line of which is a comment or a valid Prometheus sample. */
export async function expectMetricsValid(target: FuzzTarget): Promise<void> {
  const { bytes } = await rawExchange(target.host, target.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { timeoutMs: 5000 });
  const [response] = parseResponses(bytes).responses;
  expect(response?.status).toBe(200);
  const bad = response!.body
    .toString()
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('# HELP ') && !line.startsWith('# TYPE ') && !PROM_LINE.test(line));
  expect(bad).toEqual([]);
}

/** Nothing outside the storage dir was written, and inside it only files the router names itself. */
export async function expectWritesContained(target: FuzzTarget): Promise<void> {
  expect(await readdir(target.cwd)).toEqual([]);
  expect((await readdir(target.root)).filter((n) => n !== 'storage')).toEqual(['cwd']);
  const unexpected: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (!/^(file-[0-9a-f]{28}\.(bin|json)|\.tmp-.+)$/.test(entry.name) && !relative(target.storage, path).startsWith('batches'))
        unexpected.push(relative(target.storage, path));
    }
  };
  await walk(target.storage);
  expect(unexpected).toEqual([]);
}

/** The router's heap used (bytes), from its own /metrics. */
export async function heapUsed(target: FuzzTarget): Promise<number> {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  return Number(/^vllm_router_nodejs_heap_size_used_bytes ([0-9.e+]+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * Memory returns near its baseline once the fuzzing stops: V8 collects when it likes, so this waits
 * (bounded) for the heap to come back within `slackMiB` of where it started.
 */
export async function expectHeapNearBaseline(target: FuzzTarget, baseline: number, slackMiB = 48): Promise<void> {
  const limit = baseline + slackMiB * 1024 * 1024;
  let now = await heapUsed(target);
  for (let i = 0; i < 20 && now > limit; i++) {
    await new Promise((r) => setTimeout(r, 250));
    now = await heapUsed(target);
  }
  process.stdout.write(`router heap used: baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, after fuzzing ${(now / 2 ** 20).toFixed(1)} MiB\n`);
  expect(now).toBeLessThanOrEqual(limit);
}
