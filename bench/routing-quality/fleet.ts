import { fileURLToPath } from 'node:url';
import { ChildProgram } from '../common/fleet-process.js';
import type { EngineFleetConfig, EngineStatsMessage, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./engines-child.js', import.meta.url));

/** The engine simulators of one run, in a child process (fresh caches every run). */
export class EngineFleet {
  private constructor(
    private readonly program: ChildProgram<FleetMessage>,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(config: EngineFleetConfig): Promise<EngineFleet> {
    const { program, ready } = await ChildProgram.start<FleetMessage>(CHILD, config, 'engine fleet');
    return new EngineFleet(program, ready.engines);
  }

  async stats(): Promise<EngineStatsMessage[]> {
    return (await this.program.ask('stats')).engines;
  }

  stop(): Promise<void> {
    return this.program.stop();
  }
}
