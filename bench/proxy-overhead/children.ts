import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Each child leads its own process group (detached), so this also reaches nginx's workers.
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Every process the benchmark starts, each in its own process group, so that all of them (and
 * their own children) can be stopped at the end, on error, on SIGINT, or when the parent exits.
 */
export class Children {
  private readonly running = new Set<ChildProcess>();

  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { ...options, detached: true });
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    child.once('error', () => this.running.delete(child));
    return child;
  }

  /** SIGTERM the child's group, then SIGKILL whatever is left after `graceMs`. */
  async stop(child: ChildProcess, graceMs = 3000): Promise<void> {
    if (exited(child)) {
      signalGroup(child, 'SIGKILL'); // a leader may exit before the rest of its group
      return;
    }
    const gone = once(child, 'exit').then(() => true);
    signalGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
    await Promise.race([gone, late]);
    clearTimeout(timer);
    signalGroup(child, 'SIGKILL');
    this.running.delete(child);
  }

  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.running].map((c) => this.stop(c, graceMs)));
  }

  /** Synchronous last resort for `process.on('exit')`. */
  killAllNow(): void {
    for (const child of this.running) signalGroup(child, 'SIGKILL');
    this.running.clear();
  }
}

/** Collects the tail of a stream (a child's stderr) for error messages. */
export function tailOf(child: ChildProcess, stream: 'stdout' | 'stderr', limit = 4000): () => string {
  let text = '';
  child[stream]?.setEncoding('utf8');
  child[stream]?.on('data', (s: string) => {
    text = (text + s).slice(-limit);
  });
  return () => text;
}
