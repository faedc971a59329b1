/**
 * Child program: the engine simulators, in their own process. IPC: sends {type:'ready', engines};
 * on {type:'kill', index, downMs} closes that engine (every open connection destroyed, as when an
 * engine process dies) and starts it again on the same address after downMs; exits when the parent
 * disconnects. Usage: engines-child.js '<FleetConfig JSON>'
 */
import { startEngineSim, type EngineSim, type EngineSimOptions } from '@vllm-router/test/dist/sim/index.js';
import type { FleetCommand, FleetConfig, FleetMessage } from './fleet-types.js';

const config = JSON.parse(process.argv[2] ?? '{}') as FleetConfig;
const send = (m: FleetMessage) => process.send?.(m);
process.on('disconnect', () => process.exit(0));

const optionsOf = (i: number, port: number): EngineSimOptions => ({
  engineId: `engine-${i}`,
  host: `127.0.0.${i + 2}`,
  port,
  models: [config.model],
  tokenDelayMs: config.tokenDelayMs,
  prefillMsPerToken: config.prefillMsPerToken,
  outputTokens: config.outputTokens,
});

const sims: Array<EngineSim | undefined> = [];
const ports: number[] = [];
try {
  for (let i = 0; i < config.engines; i++) {
    const sim = await startEngineSim(optionsOf(i, 0));
    sims.push(sim);
    ports.push(Number(new URL(sim.url).port));
  }
  send({ type: 'ready', engines: sims.map((s) => ({ id: s!.engineId, url: s!.url })) });
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

async function kill(index: number, downMs: number): Promise<void> {
  const sim = sims[index];
  if (!sim) return;
  sims[index] = undefined;
  await sim.close();
  send({ type: 'killed', index });
  await new Promise((r) => setTimeout(r, downMs));
  // Back on the same address, as a restarted pod keeps its Service endpoint; retried if the port is not free yet.
  for (let attempt = 0; attempt < 20 && !sims[index]; attempt++) {
    try {
      sims[index] = await startEngineSim(optionsOf(index, ports[index]!));
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

process.on('message', (m: FleetCommand) => {
  if (m.type === 'kill') void kill(m.index, m.downMs);
});
