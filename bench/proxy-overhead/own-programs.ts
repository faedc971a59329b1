import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tailOf, type Children } from './children.js';
import { nextMessage } from './child-ipc.js';
import type { PacedConfig, PacedResult } from './paced-types.js';

/** Starts one of this benchmark's child programs (a sibling .js file) with an IPC channel. */
function startProgram(children: Children, file: string, args: readonly string[], nodeFlags: readonly string[] = []): { child: ChildProcess; stderr: () => string } {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const child = children.spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  return { child, stderr: tailOf(child, 'stderr') };
}

export interface Listening {
  child: ChildProcess;
  port: number;
}

async function startServer(children: Children, file: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<Listening> {
  const { child, stderr } = startProgram(children, file, args, nodeFlags);
  const m = await nextMessage(child, 10_000, file, stderr);
  if (m.type !== 'ready') throw new Error(`${file}: unexpected message ${m.type}`);
  return { child, port: m.port };
}

export function startUpstream(children: Children, streamChunks: number, streamGapMs: number): Promise<Listening> {
  return startServer(children, './upstream-server.js', [String(streamChunks), String(streamGapMs)]);
}

export function startBareProxy(children: Children, upstreamPort: number, nodeFlags: readonly string[] = []): Promise<Listening> {
  return startServer(children, './bare-proxy.js', [String(upstreamPort)], nodeFlags);
}

export function startTcpPipe(children: Children, upstreamPort: number): Promise<Listening> {
  return startServer(children, './tcp-pipe.js', [String(upstreamPort)]);
}

export function startExpressProxy(children: Children, upstreamPort: number, model: string): Promise<Listening> {
  return startServer(children, './express-proxy.js', [String(upstreamPort), model]);
}

/** One run of the open-loop generator in its own process; one result per url. */
export async function runPaced(children: Children, config: PacedConfig): Promise<PacedResult[]> {
  const { child, stderr } = startProgram(children, './paced-load.js', [JSON.stringify(config)]);
  const budget = (config.warmupSeconds + config.seconds * config.urls.length) * 1000 + config.graceMs + 10_000;
  try {
    const m = await nextMessage(child, budget, 'paced-load', stderr);
    if (m.type !== 'result') throw new Error(`paced-load: unexpected message ${m.type}`);
    return m.result as PacedResult[];
  } finally {
    await children.stop(child, 1000);
  }
}
