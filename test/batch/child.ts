import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EngineRef } from './harness.js';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export interface ChildLog {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface ProxyChild {
  url: string;
  owner: string;
  proc: ChildProcess;
  logs: ChildLog[];
  /** Resolves with the exit signal or code. */
  exited: Promise<string>;
  kill(signal: NodeJS.Signals): Promise<string>;
}

export interface ProxyChildConfig {
  root: string;
  engines: EngineRef[];
  concurrency?: number;
  leaseTtlMs?: number;
}

/** Start test/batch/proxy-process.ts as a separate node process and wait for it to listen. */
export async function spawnProxy(config: ProxyChildConfig, readyTimeoutMs = 15_000): Promise<ProxyChild> {
  const proc = spawn(process.execPath, ['--experimental-transform-types', '--no-warnings', '--import', here('./ts-hooks.mjs'), here('./proxy-process.ts')], {
    env: { ...process.env, NODE_OPTIONS: '', VR_BATCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: ChildLog[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string>((resolve) => proc.on('exit', (code, signal) => resolve(signal ?? String(code))));

  const ready = new Promise<ChildLog>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy child not ready in ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`proxy child exited (${how}) before ready: ${stderr}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let entry: ChildLog;
      try {
        entry = JSON.parse(line) as ChildLog;
      } catch {
        entry = { level: 'raw', msg: line };
      }
      logs.push(entry);
      if (entry.msg === 'ready') {
        clearTimeout(timer);
        resolve(entry);
      }
    });
  });
  const hello = await ready;
  return {
    url: String(hello['url']),
    owner: String(hello['owner']),
    proc,
    logs,
    exited,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
