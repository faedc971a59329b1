import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROUTER_CLI = fileURLToPath(new URL('../../../proxy/dist/cli.js', import.meta.url));

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

/** Start the built vllm-router program and wait for its "listening on" line; resolves to its URL. */
export async function startRouter(children: Children, args: string[], timeoutMs = 20_000): Promise<string> {
  return (await startRouterProcess(children, args, timeoutMs)).url;
}

export interface RouterChild {
  url: string;
  child: ChildProcess;
  /** SIGTERM (the router drains), resolves when it has exited. */
  stop(): Promise<void>;
}

/** Start the built vllm-router program, for a caller that stops it before the others. */
export async function startRouterProcess(children: Children, args: string[], timeoutMs = 20_000): Promise<RouterChild> {
  const child = children.track(spawn(process.execPath, [ROUTER_CLI, '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  };
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
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
  // Keep reading its output (a full pipe would stall the router's logging).
  child.stdout!.resume();
  child.stderr!.resume();
  return { url, child, stop };
}
