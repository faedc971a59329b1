import { ProxyMetrics, RouterApp } from '@vllm-router/proxy';
import { finalizeTable, silentLogger } from '@vllm-router/common';
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

/** One policy against fresh simulators: start them and the router, replay the workload, collect. */
export async function runPolicy(policy: PolicyUnderTest, workload: Workload, fleetConfig: EngineFleetConfig, timeoutMs: number): Promise<RunOutcome> {
  const fleet = await EngineFleet.start(fleetConfig);
  const app = new RouterApp(
    {
      host: '127.0.0.1',
      port: 0,
      rootPath: '',
      apiKeys: [],
      maxBodyBytes: 32 * 1024 * 1024,
      connectTimeoutMs: 2000,
      firstByteTimeoutMs: 120_000,
      maxInstanceFailoverRerouteAttempts: 2,
      engineStatsInterval: 1,
      requestStatsWindow: 60,
    },
    { logger: silentLogger(), metrics: new ProxyMetrics() },
  );
  try {
    const table = finalizeTable({
      source: 'static',
      routingLogic: policy.routingLogic,
      ...(policy.sessionKey ? { sessionKey: policy.sessionKey } : {}),
      engines: fleet.engines.map((e) => ({ id: e.id, url: e.url, models: [fleetConfig.model], backendKind: 'vllm', labels: {}, ready: true })),
      aliases: {},
      modelTypes: {},
    });
    if (!app.applyTable(table, 'static')) throw new Error(`routing table refused: ${JSON.stringify(app.healthReport())}`);
    const { port } = await app.listen();
    const ids = fleet.engines.map((e) => e.id);
    const { results, wallMs, timedOut } = await replay(
      workload,
      {
        url: `http://127.0.0.1:${port}`,
        model: fleetConfig.model,
        headersFor: (s) => policy.headersFor(s),
        queryFor: (s) => (policy.pinFor ? `?id=${encodeURIComponent(policy.pinFor(s, ids))}` : ''),
      },
      timeoutMs,
    );
    return { policy: policy.name, results, engines: await fleet.stats(), wallMs, timedOut };
  } finally {
    await app.stop(1000);
    await fleet.stop();
  }
}
