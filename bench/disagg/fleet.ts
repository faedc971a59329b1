import { fileURLToPath } from 'node:url';
import { IpcChild } from '../common/ipc-child.js';
import type { EngineCounters, FleetConfig, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./fleet-child.js', import.meta.url));

/** The simulated engines of one configuration, fresh for every run, in a child process. */
export class Fleet {
  private constructor(
    private readonly child: IpcChild<FleetMessage>,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(config: FleetConfig): Promise<Fleet> {
    const { child, ready } = await IpcChild.start<FleetMessage>(CHILD, config, 'engine fleet');
    return new Fleet(child, ready.engines);
  }

  async counters(): Promise<EngineCounters[]> {
    return (await this.child.ask('stats')).engines;
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
