/**
 * bench/operator-latency: engine pod Ready -> first request routed to it, through the operator's
 * ConfigMap and the proxy's watch, on the local control plane. See --help.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeClient, PATCH } from '@vllm-router/common';
import { startEngineSim, type EngineSim } from '@vllm-router/test/dist/sim/index.js';
import { parseLatencyArgs } from './args.js';
import { localCluster } from './local-cluster.js';
import { startOperator, startProxy, type Child } from './processes.js';
import { formatTable, summarize } from './stats.js';

const log = (line: string) => process.stderr.write(`operator-latency: ${line}\n`);
const TARGET_P99_MS = 1000;
const CRD = fileURLToPath(new URL('../../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const config = parseLatencyArgs(process.argv.slice(2));
  const started = new Date();
  const cluster = await localCluster();
  await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', CRD]);
  await cluster.kubectl(['wait', '--for', 'condition=Established', '--timeout', '30s', 'crd/vllmrouters.router.vllm.ai']);
  const client = KubeClient.load(cluster.kubeconfig);
  const ns = `bench-oplat-${process.pid}`;
  const api = (path: string) => `/api/v1/namespaces/${ns}${path}`;
  const sims: EngineSim[] = [];
  let operator: Child | undefined;
  let proxy: Child | undefined;
  try {
    await client.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const labels = { app: 'bench-engine' };
    await client.request({
      method: 'POST',
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'engine', namespace: ns },
        spec: { replicas: config.pods, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'engine', image: 'fake' }] } } },
      },
    });
    const pods = await until(`${config.pods} pods with IPs`, 30_000, async () => {
      const list = await client.request<{ items: V1Pod[] }>({ path: api('/pods'), query: { labelSelector: 'app=bench-engine' } });
      return list.items.length === config.pods && list.items.every((p) => p.status?.podIP) ? list.items : undefined;
    });
    // Each pod's engine serves a model of its own: the first 200 for it is the first request routed to that pod.
    for (const pod of pods) sims.push(await startEngineSim({ engineId: pod.metadata!.name!, host: pod.status!.podIP!, port: config.enginePort, models: [`bench-${pod.metadata!.name}`] }));
    log(`${pods.length} pods, simulators on ${sims.map((s) => s.url).join(' ')}`);

    operator = await startOperator(cluster.kubeconfig, ns);
    await client.request({
      method: 'POST',
      path: `/apis/router.vllm.ai/v1alpha1/namespaces/${ns}/vllmrouters`,
      body: { apiVersion: 'router.vllm.ai/v1alpha1', kind: 'VLLMRouter', metadata: { name: 'bench', namespace: ns }, spec: { engines: { selector: { matchLabels: labels }, port: config.enginePort } } },
    });
    proxy = await startProxy(cluster.kubeconfig, `${ns}/bench-routing`);

    const ask = async (model: string): Promise<number> => {
      const r = await fetch(`${proxy!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
      });
      await r.arrayBuffer();
      return r.status;
    };
    /** Sends requests back to back until one answers `status`; the time when it did. */
    const firstAnswer = async (model: string, status: number): Promise<number> => {
      const deadline = Date.now() + config.trialTimeoutMs;
      while (Date.now() < deadline) if ((await ask(model)) === status) return performance.now();
      throw new Error(`no ${status} for ${model} within ${config.trialTimeoutMs} ms`);
    };
    await until('every pod routable', 30_000, async () => ((await Promise.all(pods.map((p) => ask(`bench-${p.metadata!.name}`)))).every((s) => s === 200) ? true : undefined));

    const setReady = async (pod: V1Pod, ready: boolean) => {
      const i = pod.status?.conditions?.findIndex((c) => c.type === 'Ready') ?? -1;
      await client.request({
        method: 'PATCH',
        path: api(`/pods/${pod.metadata!.name}/status`),
        contentType: PATCH.json,
        body: [
          { op: 'replace', path: `/status/conditions/${i}/status`, value: ready ? 'True' : 'False' },
          { op: 'replace', path: '/status/containerStatuses/0/ready', value: ready },
        ],
      });
    };

    const readyMs: number[] = [];
    const unreadyMs: number[] = [];
    for (let t = 0; t < config.trials; t++) {
      const pod = pods[t % pods.length]!;
      const model = `bench-${pod.metadata!.name}`;
      // t0 is taken before the PATCH is sent: the figures include its round trip (an upper bound).
      let t0 = performance.now();
      await setReady(pod, false);
      unreadyMs.push((await firstAnswer(model, 503)) - t0);
      await new Promise((r) => setTimeout(r, 100));
      t0 = performance.now();
      await setReady(pod, true);
      readyMs.push((await firstAnswer(model, 200)) - t0);
      log(`trial ${t + 1}/${config.trials} ${pod.metadata!.name}: ready->routed ${readyMs.at(-1)!.toFixed(1)} ms, unready->unrouted ${unreadyMs.at(-1)!.toFixed(1)} ms`);
    }

    const ready = summarize(readyMs);
    const unready = summarize(unreadyMs);
    process.stdout.write(`\nEngine pod readiness -> routing, through vllm-router-operator and vllm-router (--service-discovery configmap)\n`);
    process.stdout.write(`${config.trials} trials over ${pods.length} pods; ms from the pod status PATCH to the first request answered accordingly\n\n`);
    process.stdout.write(`${formatTable([{ label: 'ready -> routed', summary: ready }, { label: 'unready -> unrouted', summary: unready }])}\n\n`);
    const pass = ready.p99 < TARGET_P99_MS;
    process.stdout.write(`target: ready -> routed p99 < ${TARGET_P99_MS} ms (the reference router polls every 10 s): ${pass ? 'PASS' : 'FAIL'}\n`);
    if (config.jsonPath) {
      mkdirSync(dirname(config.jsonPath), { recursive: true });
      const json = { started: started.toISOString(), finished: new Date().toISOString(), config, cpus: cpus().length, k8s: cluster.env.K8S_VERSION, readyToRouted: { ...ready, samples: readyMs }, unreadyToUnrouted: { ...unready, samples: unreadyMs }, targetP99Ms: TARGET_P99_MS, pass };
      writeFileSync(config.jsonPath, `${JSON.stringify(json, null, 2)}\n`);
      log(`wrote ${config.jsonPath}`);
    }
    if (!pass) process.exitCode = 1;
  } finally {
    await proxy?.stop();
    await operator?.stop();
    await Promise.all(sims.map((s) => s.close()));
    await client.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}` }).catch(() => undefined);
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`operator-latency: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
