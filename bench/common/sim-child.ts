import { startEngineSim, type EngineSim, type EngineSimOptions } from '@vllm-router/test/dist/sim/index.js';

/**
 * The body of a bench child program that runs engine simulators in their own process (so their
 * timers do not share the router's or the load generator's event loop): starts one per options,
 * sends {type:'ready', engines: [{id, url}]}, answers {type:'stats'} with {type:'stats', engines:
 * statsOf(sims)}, and exits when the parent disconnects.
 */
export async function serveSimulators<S>(options: readonly EngineSimOptions[], statsOf: (sims: readonly EngineSim[]) => S[]): Promise<void> {
  const send = (m: object) => process.send?.(m);
  process.on('disconnect', () => process.exit(0));
  const sims: EngineSim[] = [];
  try {
    for (const o of options) sims.push(await startEngineSim(o));
    send({ type: 'ready', engines: sims.map((s) => ({ id: s.engineId, url: s.url })) });
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  process.on('message', (m: unknown) => {
    if ((m as { type?: string }).type === 'stats') send({ type: 'stats', engines: statsOf(sims) });
  });
}
