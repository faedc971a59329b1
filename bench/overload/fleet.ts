import { fileURLToPath } from 'node:url';
import { ChildProgram } from '../common/fleet-process.js';
import type { Children } from '../common/processes.js';
import type { EngineReport, FleetConfig, FleetMessage } from './fleet-types.js';

const CHILD = fileURLToPath(new URL('./fleet-child.js', import.meta.url));

/** The simulated fleet of one run, in a child process: fresh queues and caches every run. */
export class EngineFleet {
  private constructor(
    private readonly program: ChildProgram<FleetMessage>,
    readonly engines: Array<{ id: string; url: string }>,
  ) {}

  static async start(children: Children, config: FleetConfig): Promise<EngineFleet> {
    const { program, ready } = await ChildProgram.start<FleetMessage>(CHILD, config, 'engine fleet', children);
    return new EngineFleet(program, ready.engines);
  }

  async stats(): Promise<EngineReport[]> {
    return (await this.program.ask('stats')).engines;
  }

  stop(): Promise<void> {
    return this.program.stop();
  }
}
