import { startRouter, type RunningRouter } from '@vllm-router/test/dist/helpers/router.js';
import { replay, type RequestResult } from './client.js';
import { EngineFleet } from './fleet.js';
import type { EngineFleetConfig, EngineStatsMessage } from './fleet-types.js';
import type { PolicyUnderTest } from './policies.js';
import type { Workload } from './workload.js';

export interface RunOutcome {
  policy: string;
  results: RequestResult[];
  engines: EngineStatsMessage[];
  wallMs: number;
  timedOut: boolean;
}

/** Engine metrics scraped every second (the load-aware policies use them); long answers allowed. */
export const BENCH_ROUTER = { engineStatsInterval: 1, requestStatsWindow: 60, firstByteTimeoutMs: 120_000 };

/**
 * One policy against fresh simulators: start them and the router, wait `phaseMs` (where in the
 * router's 1 s engine-metrics scrape cycle the first request lands: arbitrary in a deployment, so
 * repeated runs sample it), replay the workload, collect.
 */
export async function runPolicy(policy: PolicyUnderTest, workload: Workload, fleetConfig: EngineFleetConfig, timeoutMs: number, phaseMs = 0): Promise<RunOutcome> {
  const fleet = await EngineFleet.start(fleetConfig);
  let router: RunningRouter | undefined;
  try {
    router = await startRouter(
      {
        routingLogic: policy.routingLogic,
        ...(policy.sessionKey ? { sessionKey: policy.sessionKey } : {}),
        engines: fleet.engines.map((e) => ({ id: e.id, url: e.url, models: [fleetConfig.model] })),
      },
      BENCH_ROUTER,
    );
    const ids = fleet.engines.map((e) => e.id);
    await new Promise((resolve) => setTimeout(resolve, phaseMs));
    const { results, wallMs, timedOut } = await replay(
      workload,
      {
        url: router.url,
        model: fleetConfig.model,
        headersFor: (s) => policy.headersFor(s),
        queryFor: (s) => (policy.pinFor ? `?id=${encodeURIComponent(policy.pinFor(s, ids))}` : ''),
      },
      timeoutMs,
    );
    return { policy: policy.name, results, engines: await fleet.stats(), wallMs, timedOut };
  } finally {
    await router?.close();
    await fleet.stop();
  }
}
