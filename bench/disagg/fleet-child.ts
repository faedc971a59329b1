/**
 * Child program: the simulated engines of one configuration (startEngineSim, chunked-prefill steps,
 * prefill and decode roles) in their own process, so their step timers do not compete with the
 * router's and the load generator's event loop. Sends {type:'ready', engines}, answers
 * {type:'stats'}, exits on disconnect.
 * Usage: fleet-child.js '<FleetConfig JSON>'
 */
import { serveSimulators } from '../common/sim-child.js';
import type { EngineCounters, FleetConfig } from './fleet-types.js';

const { physics, engines } = JSON.parse(process.argv[2] ?? '{}') as FleetConfig;

await serveSimulators(
  engines.map((engine, i) => ({
    engineId: engine.id,
    host: engine.host,
    models: [physics.model],
    tokenDelayMs: physics.tokenDelayMs,
    prefillMsPerToken: physics.prefillMsPerToken,
    maxNumBatchedTokens: physics.maxNumBatchedTokens,
    maxNumSeqs: physics.maxNumSeqs,
    numGpuBlocks: physics.numGpuBlocks,
    kvTransferMsPerToken: physics.kvTransferMsPerToken,
    ...(engine.role ? { role: engine.role } : {}),
    seed: i + 1,
  })),
  (sims) =>
    sims.map(
      (s, i): EngineCounters => ({
        id: s.engineId,
        role: engines[i]!.role,
        requests: s.stats.requests['/v1/chat/completions'] ?? 0,
        generationTokens: s.stats.generationTokens,
        maxQueueLength: s.stats.maxQueueLength,
      }),
    ),
);
