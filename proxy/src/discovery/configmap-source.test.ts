import { describe, expect, it, afterEach } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { RouterApp } from '../app/router-app.js';
import { silentLogger } from '@vllm-router/common';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { finalizeTable, type RoutingTable } from '@vllm-router/common/routing-table';
import { CONFIGMAP_COMPONENTS, followRoutingConfigMap } from './configmap-source.js';
import type { RoutingSource } from './routing-source.js';
import { FakeCollection } from '@vllm-router/common/testing';

const REF = 'team-a/llm-routing';

function appUnderTest(): RouterApp {
  return new RouterApp(
    { host: '127.0.0.1', port: 0, rootPath: '', apiKeys: [], maxBodyBytes: 1 << 20, connectTimeoutMs: 1000, firstByteTimeoutMs: 1000, maxInstanceFailoverRerouteAttempts: 0 },
    { logger: silentLogger(), metrics: new ProxyMetrics() },
  );
}

const tableWith = (...models: string[]): RoutingTable =>
  finalizeTable({
    source: 'configmap',
    routingLogic: 'roundrobin',
    engines: models.map((m, i) => ({ id: `e${i}`, url: `http://127.1.0.${i + 1}:8000`, models: [m], backendKind: 'vllm', labels: {}, ready: true })),
    aliases: {},
    modelTypes: {},
  });

const configMap = (routingJson: string | undefined): V1ConfigMap => ({
  metadata: { name: 'llm-routing', namespace: 'team-a' },
  data: routingJson === undefined ? {} : { 'routing.json': routingJson },
});

const settle = () => new Promise((r) => setTimeout(r, 10));
const fastRetry = { backoff: { initialMs: 1, maxMs: 5 } };

describe('--service-discovery configmap (watching the routing ConfigMap)', () => {
  let source: RoutingSource | undefined;
  afterEach(async () => source?.stop());

  it('applies the table in the ConfigMap, and each new version the moment it changes', async () => {
    const api = new FakeCollection<V1ConfigMap>();
    const app = appUnderTest();
    api.put(configMap(JSON.stringify(tableWith('m1'))));
    source = followRoutingConfigMap(app, api, REF, fastRetry);
    await settle();
    expect(app.core.snapshot?.table.revision).toBe(tableWith('m1').revision);
    expect(app.healthReport().status).toBe('healthy');

    api.put(configMap(JSON.stringify(tableWith('m1', 'm2'))));
    await settle();
    expect(app.core.snapshot?.table.engines.map((e) => e.models[0])).toEqual(['m1', 'm2']);
  });

  it('keeps the last good table when a new one is not JSON or is refused by the validator', async () => {
    const api = new FakeCollection<V1ConfigMap>();
    const app = appUnderTest();
    api.put(configMap(JSON.stringify(tableWith('m1'))));
    source = followRoutingConfigMap(app, api, REF, fastRetry);
    await settle();

    api.put(configMap('{ not json'));
    await settle();
    expect(app.core.snapshot?.table.revision).toBe(tableWith('m1').revision);
    expect(app.healthReport().config_error?.message).toMatch(/is not JSON/);

    api.put(configMap(JSON.stringify({ ...tableWith('m1'), routingLogic: 'random' })));
    await settle();
    expect(app.core.snapshot?.table.revision).toBe(tableWith('m1').revision);
    expect(app.healthReport().config_error?.message).toContain('routingLogic: "random" must be one of');

    api.put(configMap(undefined));
    await settle();
    expect(app.healthReport().config_error?.message).toBe(`ConfigMap ${REF} has no key routing.json`);
  });

  it('makes /health unhealthy while the ConfigMap is missing, and healthy once it appears', async () => {
    const api = new FakeCollection<V1ConfigMap>();
    const app = appUnderTest();
    source = followRoutingConfigMap(app, api, REF, fastRetry);
    await settle();
    expect(app.healthReport()).toMatchObject({ status: 'unhealthy' });
    expect(app.healthReport().reasons).toContain(`${CONFIGMAP_COMPONENTS.missing}: ConfigMap ${REF} not found; keeping the last routing table`);

    api.put(configMap(JSON.stringify(tableWith('m1'))));
    await settle();
    expect(app.healthReport().status).toBe('healthy');

    api.remove('llm-routing');
    await settle();
    expect(app.healthReport().status).toBe('unhealthy');
    expect(app.core.snapshot?.table.revision).toBe(tableWith('m1').revision); // still routing on the last table
  });

  it('reports a failing watch on /health and recovers when the API answers again', async () => {
    const api = new FakeCollection<V1ConfigMap>();
    const app = appUnderTest();
    api.put(configMap(JSON.stringify(tableWith('m1'))));
    api.failNextList();
    source = followRoutingConfigMap(app, api, REF, { backoff: { initialMs: 40, maxMs: 40 } });
    await settle();
    expect(app.healthReport().reasons?.join()).toMatch(/watching ConfigMap team-a\/llm-routing failed .*forbidden/);
    await new Promise((r) => setTimeout(r, 80));
    expect(app.healthReport().status).toBe('healthy');

    api.breakWatches();
    await settle();
    expect(app.healthReport().reasons?.join()).toMatch(/connection reset/);
    api.put(configMap(JSON.stringify(tableWith('m3'))));
    await new Promise((r) => setTimeout(r, 80));
    expect(app.healthReport().status).toBe('healthy');
    expect(app.core.snapshot?.table.engines[0]?.models).toEqual(['m3']);
  });
});
