import { fileURLToPath } from 'node:url';
import { IpcChild } from '../common/ipc-child.js';
import type { EngineFleetConfig, EngineStatsMessage, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./engines-child.js', import.meta.url));

/** The engine simulators of one run, in a child process (fresh caches every run). */
export class EngineFleet {
  private constructor(
    private readonly child: IpcChild<FleetMessage>,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(config: EngineFleetConfig): Promise<EngineFleet> {
    const { child, ready } = await IpcChild.start<FleetMessage>(CHILD, config, 'engine fleet');
    return new EngineFleet(child, ready.engines);
  }

  async stats(): Promise<EngineStatsMessage[]> {
    return (await this.child.ask('stats')).engines;
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
