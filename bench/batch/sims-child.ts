/**
 * Child program: the engine simulators, in their own process so their timers do not share the
 * router's or the load generator's event loop. IPC: sends {type:'ready', urls} once listening,
 * answers {type:'stats'} with chat requests per sim, exits when the parent disconnects.
 * Usage: sims-child.js '<SimsConfig JSON>'
 */
import { startEngineSim, type EngineSim } from '@vllm-router/test/dist/sim/index.js';
import type { SimsConfig, SimsMessage } from './sims-types.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SimsConfig;
const send = (m: SimsMessage) => process.send?.(m);
process.on('disconnect', () => process.exit(0));

const sims: EngineSim[] = [];
try {
  for (let i = 0; i < config.sims; i++) {
    sims.push(
      await startEngineSim({
        engineId: `sim-${i}`,
        host: `127.0.0.${i + 2}`,
        models: [config.model],
        tokenDelayMs: config.tokenDelayMs,
        maxNumSeqs: config.maxNumSeqs,
        outputTokens: 64,
        seed: i + 1,
      }),
    );
  }
  send({ type: 'ready', urls: sims.map((s) => s.url) });
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type !== 'stats') return;
  send({ type: 'stats', requests: sims.map((s) => s.stats.requests['/v1/chat/completions'] ?? 0), maxQueue: Math.max(...sims.map((s) => s.stats.maxQueueLength)) });
});
