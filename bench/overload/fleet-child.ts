/**
 * Child program: the engine simulators of one run, on 127.0.0.2, .3, ... in their own process so
 * their timers do not share the router's or the load generator's event loop. Samples each engine's
 * waiting queue every sampleMs. IPC: sends {type:'ready', engines}, answers {type:'stats'}, exits on
 * disconnect. Usage: fleet-child.js '<FleetConfig JSON>'
 */
import { startEngineSim, type EngineSim } from '@vllm-router/test/dist/sim/index.js';
import type { EngineReport, FleetConfig, FleetMessage } from './fleet-types.js';

const config = JSON.parse(process.argv[2] ?? '{}') as FleetConfig;
const send = (m: FleetMessage) => process.send?.(m);
process.on('disconnect', () => process.exit(0));

/** Bounded: at most this many samples per engine (a 10-minute run at 50 ms). */
const MAX_SAMPLES = 12_000;
const sims: EngineSim[] = [];
const samples: number[][] = [];
try {
  for (let i = 0; i < config.engines; i++) {
    sims.push(
      await startEngineSim({
        engineId: `engine-${i}`,
        host: `127.0.0.${i + 2}`,
        models: [config.model],
        maxNumSeqs: config.maxNumSeqs,
        prefillMsPerToken: config.prefillMsPerToken,
        tokenDelayMs: config.tokenDelayMs,
        blockSize: config.blockSize,
        numGpuBlocks: config.numGpuBlocks,
        seed: i + 1,
      }),
    );
    samples.push([]);
  }
  send({ type: 'ready', engines: sims.map((s) => ({ id: s.engineId, url: s.url })) });
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

const sampler = setInterval(() => {
  sims.forEach((s, i) => {
    const list = samples[i]!;
    if (list.length < MAX_SAMPLES) list.push(s.stats.waiting);
  });
}, config.sampleMs);
sampler.unref();

process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type !== 'stats') return;
  const engines: EngineReport[] = sims.map((s, i) => {
    const st = s.stats;
    const sorted = [...samples[i]!].sort((a, b) => a - b);
    return {
      id: s.engineId,
      requests: st.requests['/v1/chat/completions'] ?? 0,
      maxQueueLength: st.maxQueueLength,
      waitingMean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
      waitingP99: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! : 0,
      prefixCacheHits: st.prefixCacheHits,
      prefixCacheQueries: st.prefixCacheQueries,
    };
  });
  send({ type: 'stats', engines });
});
