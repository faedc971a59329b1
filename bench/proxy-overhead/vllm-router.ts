import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { tailOf, type Children } from './children.js';
import { freePort, waitForPort } from './net-util.js';
import { MODEL } from './workload.js';

export interface RouterOptions {
  cli: string;
  upstreamPort: number;
  logLevel: 'warn' | 'info';
  /** stdout (the info-level access log) goes to this file. */
  logFile: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: readonly string[];
}

/** Starts the vllm-router CLI (one process, static discovery, one engine) and waits for its port. */
export async function startRouter(children: Children, o: RouterOptions): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const args = [
    ...(o.nodeFlags ?? []),
    o.cli,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--service-discovery', 'static',
    '--static-backends', `http://127.0.0.1:${o.upstreamPort}`,
    '--static-models', MODEL,
    '--routing-logic', 'roundrobin',
    '--log-level', o.logLevel,
  ];
  const out = openSync(o.logFile, 'a');
  try {
    const child = children.spawn(process.execPath, args, { stdio: ['ignore', out, 'pipe'] });
    const stderr = tailOf(child, 'stderr');
    try {
      await waitForPort(port, 15_000, () => child.exitCode !== null || child.signalCode !== null);
    } catch (err) {
      throw new Error(`vllm-router (${o.logLevel}) did not start: ${err instanceof Error ? err.message : String(err)}\n${stderr()}`, { cause: err });
    }
    return { child, port };
  } finally {
    closeSync(out);
  }
}
