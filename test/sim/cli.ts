#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { simArgs, toSimOptions } from './cli-args.js';
import { startEngineSim } from './server.js';

/** vllm-engine-sim: run one simulated engine until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const sim = await startEngineSim(toSimOptions(simArgs(hideBin(process.argv)).parseSync()));
  console.log(`vllm-engine-sim ${sim.engineId} listening on ${sim.url} serving ${sim.models.join(',')}`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`vllm-engine-sim: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
