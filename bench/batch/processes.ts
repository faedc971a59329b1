import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nextTaggedMessage } from '../common/child-message.js';
import type { SimsConfig, SimsMessage } from './sims-types.js';

const ROUTER_CLI = fileURLToPath(new URL('../../../proxy/dist/cli.js', import.meta.url));
const SIMS_CHILD = fileURLToPath(new URL('./sims-child.js', import.meta.url));

/** Every process the benchmark starts; all are killed at the end, on error and on exit. */
export class Children {
  private readonly running = new Set<ChildProcess>();

  track(child: ChildProcess): ChildProcess {
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL what is left after `graceMs`. */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(
      [...this.running].map(async (child) => {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      }),
    );
  }

  /** Synchronous last resort, for process.on('exit'). */
  killAllNow(): void {
    for (const child of this.running) child.kill('SIGKILL');
  }
}

export interface Sims {
  urls: string[];
  stats(): Promise<Extract<SimsMessage, { type: 'stats' }>>;
}

export async function startSims(children: Children, config: SimsConfig): Promise<Sims> {
  const child = children.track(fork(SIMS_CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const ready = await nextMessage(child, 'ready', 20_000);
  return {
    urls: ready.urls,
    stats: () => {
      const reply = nextMessage(child, 'stats', 10_000);
      child.send({ type: 'stats' });
      return reply;
    },
  };
}

/** Start the built vllm-router program and wait for its "listening on" line. */
export async function startRouter(children: Children, args: string[], timeoutMs = 20_000): Promise<string> {
  const child = children.track(spawn(process.execPath, [ROUTER_CLI, '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vllm-router did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-8_000);
      const m = /listening on http:\/\/([\d.]+):(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vllm-router exited with ${code}:\n${output}`));
    });
  });
}

function nextMessage<T extends SimsMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<SimsMessage, { type: T }>> {
  return nextTaggedMessage<SimsMessage, T>(child, type, timeoutMs, 'simulators');
}
