import { describe, expect, it, afterEach } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterApp } from '../app/router-app.js';
import { silentLogger } from '@vllm-router/common';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { followPods, type PodDiscoverySettings } from './k8s-pod-source.js';
import type { RoutingSource } from './routing-source.js';
import { FakeCollection } from '@vllm-router/common/testing';

const settings: PodDiscoverySettings = { namespace: 'ns', labelSelector: 'app=vllm', port: 8000, routingLogic: 'roundrobin', aliases: { gpt4: 'llama' }, modelsTimeoutMs: 100 };

const pod = (name: string, ip: string, ready = true, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'vllm', ...labels } },
  status: {
    phase: 'Running',
    podIP: ip,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'vllm', ready, image: 'x', imageID: '', restartCount: 0 }],
  },
});

function appUnderTest(): RouterApp {
  return new RouterApp(
    { host: '127.0.0.1', port: 0, rootPath: '', apiKeys: [], maxBodyBytes: 1 << 20, connectTimeoutMs: 1000, firstByteTimeoutMs: 1000, maxInstanceFailoverRerouteAttempts: 0 },
    { logger: silentLogger(), metrics: new ProxyMetrics() },
  );
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const engines = (app: RouterApp) => app.core.snapshot?.table.engines.map((e) => `${e.id}:${e.ready}:${e.models.join('+')}`);

describe('--service-discovery k8s (the proxy watching pods itself)', () => {
  let source: RoutingSource | undefined;
  afterEach(async () => source?.stop());

  it('routes to ready pods with the models their /v1/models lists, and follows pods as they change', async () => {
    const api = new FakeCollection<V1Pod>();
    const asked: string[] = [];
    const fetchModels = async (url: string) => {
      asked.push(url);
      return url.includes('127.1.0.2') ? ['llama', 'lora-x'] : ['llama'];
    };
    const app = appUnderTest();
    api.put(pod('vllm-a', '127.1.0.1', true, { model: 'llama' }));
    source = followPods(app, api, settings, { fetchModels });
    await settle();
    expect(engines(app)).toEqual(['vllm-a:true:llama']);
    expect(app.core.snapshot?.table).toMatchObject({ source: 'k8s', aliases: { gpt4: 'llama' } });
    expect(app.core.snapshot?.table.engines[0]?.labels).toEqual({ model: 'llama' });

    api.put(pod('vllm-b', '127.1.0.2'));
    await settle();
    expect(engines(app)).toEqual(['vllm-a:true:llama', 'vllm-b:true:llama+lora-x']);

    api.put(pod('vllm-a', '127.1.0.1', false)); // goes unready
    await settle();
    expect(engines(app)).toEqual(['vllm-a:false:', 'vllm-b:true:llama+lora-x']);

    api.remove('vllm-b');
    await settle();
    expect(engines(app)).toEqual(['vllm-a:false:']);
    expect(asked).toEqual(['http://127.1.0.1:8000', 'http://127.1.0.2:8000']); // once per pod version
  });

  it('keeps a pod whose models cannot be fetched out of routing, and retries until they can', async () => {
    const api = new FakeCollection<V1Pod>();
    let up = false;
    const fetchModels = async () => {
      if (!up) throw new Error('connect ECONNREFUSED');
      return ['llama'];
    };
    const app = appUnderTest();
    api.put(pod('vllm-a', '127.1.0.1'));
    source = followPods(app, api, settings, { fetchModels, modelRetry: { initialMs: 30, maxMs: 30 } });
    await settle();
    expect(engines(app)).toEqual(['vllm-a:false:']);
    up = true;
    await new Promise((r) => setTimeout(r, 80));
    expect(engines(app)).toEqual(['vllm-a:true:llama']);
  });

  it('makes /health unhealthy while the pod watch fails', async () => {
    const api = new FakeCollection<V1Pod>();
    api.failNextList();
    const app = appUnderTest();
    source = followPods(app, api, settings, { fetchModels: async () => ['m'], backoff: { initialMs: 50, maxMs: 50 } });
    await settle();
    expect(app.healthReport().reasons?.join()).toMatch(/k8s-discovery: watching pods failed/);
    await new Promise((r) => setTimeout(r, 80));
    expect(app.healthReport().status).toBe('healthy');
  });
});
