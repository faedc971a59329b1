import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nextTaggedMessage } from '../common/child-message.js';
import type { Children } from '../batch/processes.js';
import type { FleetCommand, FleetConfig, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./engines-child.js', import.meta.url));

/** The engine simulators of one mode, in a child process that can kill and restart them. */
export class KillableFleet {
  private constructor(
    private readonly child: ChildProcess,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(children: Children, config: FleetConfig): Promise<KillableFleet> {
    const child = children.track(fork(CHILD, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ready = await nextTaggedMessage<FleetMessage, 'ready'>(child, 'ready', 20_000, 'engine fleet');
    return new KillableFleet(child, ready.engines);
  }

  kill(index: number, downMs: number): void {
    const command: FleetCommand = { type: 'kill', index, downMs };
    this.child.send(command);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
