/** Engines from values and the sample VLLMRouter that selects them. */
import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1Deployment, V1LabelSelector, V1PodSpec } from '@kubernetes/client-node';
import { selectorMatches } from '../../operator/src/reconcile/label-selector.js';
import { all, one, template, templateText, type Manifest } from './harness/helm.js';
import { restrictedProblems } from './harness/pod-security.js';
import { fullValues, gpuEngines } from './harness/values.js';

type RouterManifest = Manifest & { spec: { engines: { selector: V1LabelSelector; port: number }; [field: string]: unknown } };

const engines = (docs: Manifest[]) => all<V1Deployment>(docs, 'Deployment').filter((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'engine');
const podSpec = (d: V1Deployment | undefined): V1PodSpec => d?.spec?.template.spec ?? { containers: [] };
const engine = (d: V1Deployment | undefined): V1Container => podSpec(d).containers[0] as V1Container;

describe('engines from values', () => {
  it('are none by default', async () => {
    expect(engines(await template())).toEqual([]);
  });

  it('become one labelled Deployment per model, with GPUs, scheduling and the model cache', async () => {
    const [llama, opt] = engines(await template({ engines: gpuEngines }));
    expect([llama?.metadata?.name, opt?.metadata?.name]).toEqual(['vllm-router-engine-llama-8b', 'vllm-router-engine-opt']);
    expect(llama?.spec?.replicas).toBe(2);
    expect(engine(llama).image).toBe('vllm/vllm-openai:v0.11.0');
    expect(engine(llama).command).toEqual(['vllm', 'serve']);
    expect(engine(llama).args).toEqual(['meta-llama/Llama-3.1-8B-Instruct', '--host', '0.0.0.0', '--port', '8000', '--max-model-len', '8192']);
    expect(engine(llama).resources).toEqual({ limits: { 'nvidia.com/gpu': 1, memory: '32Gi' }, requests: { cpu: '4', memory: '24Gi' } });
    expect(podSpec(llama).nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
    expect(podSpec(llama).tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(podSpec(llama).volumes).toContainEqual({ name: 'cache', persistentVolumeClaim: { claimName: 'hf-cache' } });
    expect(engine(llama).volumeMounts).toContainEqual({ name: 'cache', mountPath: '/models' });
    expect(engine(llama).env).toEqual(
      expect.arrayContaining([
        { name: 'HF_HOME', value: '/models/huggingface' },
        { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } },
      ]),
    );
    // A model that sets nothing else keeps the defaults: one replica, an emptyDir cache.
    expect(opt?.spec?.replicas).toBe(1);
    expect(podSpec(opt).volumes).toContainEqual({ name: 'cache', emptyDir: {} });
    expect(engine(opt).resources).toEqual({ limits: { 'nvidia.com/gpu': 1 } });
  });

  it('are Ready only when the engine answers /health', async () => {
    for (const d of engines(await template({ engines: gpuEngines }))) {
      expect(engine(d).ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
      expect(engine(d).readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
      expect(engine(d).startupProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    }
  });

  it('are selected by the sample VLLMRouter, on their port, and only they are', async () => {
    const docs = await template(fullValues);
    const router = one<RouterManifest>(docs, 'VLLMRouter');
    expect(router.metadata.name).toBe('llm');
    expect(router.spec.engines.port).toBe(8000);
    for (const d of engines(docs)) expect(selectorMatches(router.spec.engines.selector, d.spec?.template.metadata?.labels)).toBe(true);
    const operatorPods = one<V1Deployment>(docs, 'Deployment', 'vllm-router-operator').spec?.template.metadata?.labels;
    expect(selectorMatches(router.spec.engines.selector, operatorPods)).toBe(false);
  });

  it('keep their pod labels stable across chart versions (an upgrade does not restart GPU pods)', async () => {
    const [llama] = engines(await template({ engines: gpuEngines }));
    const labels = llama?.spec?.template.metadata?.labels ?? {};
    expect(Object.keys(labels)).not.toContain('helm.sh/chart');
    expect(Object.keys(labels)).not.toContain('app.kubernetes.io/version');
  });

  it('are restricted-compliant by default, and a hostPath cache is not', async () => {
    const [llama, opt] = engines(await template({ engines: gpuEngines }));
    expect(restrictedProblems(podSpec(llama))).toEqual([]);
    expect(restrictedProblems(podSpec(opt))).toEqual([]);
    const hostPath = engines(await template({ engines: { models: [{ name: 'opt', model: 'facebook/opt-125m', cache: { hostPath: { path: '/mnt/models' } } }] } }));
    expect(restrictedProblems(podSpec(hostPath[0]))).toEqual(['volume cache: hostPath']);
  });

  it('take their own command and args for engines other than vLLM', async () => {
    const sglang = { name: 'qwen', model: 'Qwen/Qwen2.5-7B-Instruct', image: { repository: 'lmsysorg/sglang', tag: 'v0.4.6' }, command: ['python3', '-m', 'sglang.launch_server'], args: ['--model-path', 'Qwen/Qwen2.5-7B-Instruct', '--host', '0.0.0.0', '--port', '8000'] };
    const [d] = engines(await template({ engines: { models: [sglang] } }));
    expect(engine(d).command).toEqual(sglang.command);
    expect(engine(d).args).toEqual(sglang.args);
  });

  it('refuse a model whose merged cache names two sources', async () => {
    const values = { engines: { defaults: { cache: { mountPath: '/cache', emptyDir: {} } }, models: [{ name: 'opt', model: 'x', cache: { hostPath: { path: '/m' } } }] } };
    // A model's cache replaces the default's whole, so this one has a single source.
    expect(podSpec(engines(await template(values))[0]).volumes).toContainEqual({ name: 'cache', hostPath: { path: '/m' } });
    await expect(templateText({ engines: { models: [{ name: 'opt', model: 'x', cache: { emptyDir: {}, persistentVolumeClaim: { claimName: 'c' } } }] } })).rejects.toThrow('/engines/models/0/cache');
  });
});

describe('the sample VLLMRouter', () => {
  it('is created by default, named after the release, selecting the engine label on the engines port', async () => {
    const router = one<RouterManifest>(await template(), 'VLLMRouter');
    expect(router.metadata).toMatchObject({ name: 'vllm-router', namespace: 'llm' });
    expect(router.spec.engines).toEqual({ selector: { matchLabels: { 'router.vllm.ai/router': 'vllm-router' } }, port: 8000, backendKind: 'vllm', models: { source: 'api' } });
    expect(router.spec).toMatchObject({ routing: { logic: 'roundrobin' }, proxy: { replicas: 1, service: { type: 'ClusterIP', port: 80 } } });
  });

  it('passes the rest of router.spec through, and keeps a selector given there', async () => {
    const selector = { matchLabels: { app: 'vllm' } };
    const router = one<RouterManifest>(await template({ ...fullValues, router: { ...fullValues.router, spec: { ...fullValues.router.spec, engines: { selector, port: 9000 } } } }), 'VLLMRouter');
    expect(router.spec.engines).toEqual({ selector, port: 9000, backendKind: 'vllm', models: { source: 'api' } });
    expect(router.spec).toMatchObject({ aliases: { 'gpt-4o': 'meta-llama/Llama-3.1-8B-Instruct' }, routing: { logic: 'session', sessionKey: 'x-user-id' } });
  });

  it('is left out when router.enabled is false', async () => {
    expect(all(await template({ router: { enabled: false } }), 'VLLMRouter')).toEqual([]);
  });
});
