/** Named chart values used across the chart tests. */

/** Two GPU models with scheduling, cache and token settings; the sample router with an alias. */
export const gpuEngines = {
  models: [
    {
      name: 'llama-8b',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      replicas: 2,
      extraArgs: ['--max-model-len', '8192'],
      hfTokenSecretRef: { name: 'hf-token', key: 'token' },
      resources: { limits: { 'nvidia.com/gpu': 1, memory: '32Gi' }, requests: { cpu: '4', memory: '24Gi' } },
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      cache: { mountPath: '/models', persistentVolumeClaim: { claimName: 'hf-cache' } },
    },
    {
      name: 'opt',
      model: 'facebook/opt-125m',
      resources: { limits: { 'nvidia.com/gpu': 1 } },
    },
  ],
};

/** Everything away from its default: HA operator, own images, one watched namespace, monitoring. */
export const fullValues = {
  commonLabels: { team: 'inference' },
  imagePullSecrets: [{ name: 'registry' }],
  operator: {
    replicas: 2,
    image: { repository: 'registry.example.com/vllm-router-operator', tag: '1.2.3', pullPolicy: 'Always' },
    watchNamespace: 'llm',
    workers: 4,
    resyncSeconds: 120,
    logLevel: 'debug',
    logFormat: 'text',
    engineApiKeySecretRef: { name: 'engine-key', key: 'token' },
    extraArgs: ['--identity=custom'],
  },
  proxy: { image: { repository: 'registry.example.com/vllm-router', tag: '1.2.3' } },
  metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } },
  router: {
    name: 'llm',
    spec: {
      aliases: { 'gpt-4o': 'meta-llama/Llama-3.1-8B-Instruct' },
      routing: { logic: 'session', sessionKey: 'x-user-id' },
      proxy: { replicas: 2, service: { type: 'ClusterIP', port: 8080 } },
    },
  },
  engines: gpuEngines,
};
