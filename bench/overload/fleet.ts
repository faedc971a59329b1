import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nextTaggedMessage } from '../common/child-message.js';
import type { Children } from '../common/processes.js';
import type { EngineReport, FleetConfig, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./fleet-child.js', import.meta.url));

/** The simulated fleet of one run, in a child process: fresh queues and caches every run. */
export class EngineFleet {
  private constructor(
    private readonly child: ChildProcess,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(children: Children, config: FleetConfig): Promise<EngineFleet> {
    const child = children.track(fork(CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ready = await next(child, 'ready', 20_000);
    return new EngineFleet(child, ready.engines);
  }

  async stats(): Promise<EngineReport[]> {
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
  return nextTaggedMessage<FleetMessage, T>(child, type, timeoutMs, 'engine fleet');
}
