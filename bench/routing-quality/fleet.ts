import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineFleetConfig, EngineStatsMessage, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./engines-child.js', import.meta.url));

/** The engine simulators of one run, in a child process (fresh caches every run). */
export class EngineFleet {
  private constructor(
    private readonly child: ChildProcess,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(config: EngineFleetConfig): Promise<EngineFleet> {
    const child = fork(CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await next(child, 'ready', 15_000);
    return new EngineFleet(child, ready.engines);
  }

  async stats(): Promise<EngineStatsMessage[]> {
    const reply = next(this.child, 'stats', 10_000);
    this.child.send({ type: 'stats' });
    return (await reply).engines;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}

function next<T extends FleetMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<FleetMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`engine fleet: no "${type}" after ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: FleetMessage) => {
      if (m.type === 'error') finish(new Error(`engine fleet: ${m.message}`));
      else if (m.type === type) finish(undefined, m as Extract<FleetMessage, { type: T }>);
    };
    const onExit = (code: number | null) => finish(new Error(`engine fleet exited with ${code}`));
    function finish(err: Error | undefined, m?: Extract<FleetMessage, { type: T }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
