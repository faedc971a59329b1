/**
 * Child program: N engine simulators (startEngineSim) on 127.0.0.2, .3, ... in their own process,
 * so their timing does not compete with the router's event loop. Talks to the orchestrator over IPC:
 * sends {type:'ready', engines}, answers {type:'stats'} with each sim's counters, exits on disconnect.
 * Usage: engines-child.js '<EngineFleetConfig JSON>'
 */
import { serveSimulators } from '../common/sim-child.js';
import type { EngineFleetConfig, EngineStatsMessage } from './fleet-types.js';

const config = JSON.parse(process.argv[2] ?? '{}') as EngineFleetConfig;

await serveSimulators(
  Array.from({ length: config.engines }, (_, i) => ({
    engineId: `engine-${i}`,
    host: `127.0.0.${i + 2}`,
    models: [config.model],
    maxNumSeqs: config.maxNumSeqs,
    prefillMsPerToken: config.prefillMsPerToken,
    tokenDelayMs: config.tokenDelayMs,
    numGpuBlocks: config.numGpuBlocks,
    blockSize: config.blockSize,
    outputTokens: config.outputTokens,
    seed: i + 1,
  })),
  (sims) =>
    sims.map((s): EngineStatsMessage => {
      const st = s.stats;
      const samples = st.ttfts;
      const mean = (f: (x: (typeof samples)[number]) => number) => (samples.length ? samples.reduce((a, x) => a + f(x), 0) / samples.length : 0);
      return {
        id: s.engineId,
        requests: st.requests['/v1/chat/completions'] ?? 0,
        prefixCacheHits: st.prefixCacheHits,
        prefixCacheQueries: st.prefixCacheQueries,
        evictedBlocks: st.evictedBlocks,
        maxQueueLength: st.maxQueueLength,
        meanQueueMs: mean((x) => x.queueMs),
        meanPrefillMs: mean((x) => x.prefillMs),
      };
    }),
);
