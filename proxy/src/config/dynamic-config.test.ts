import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './errors.js';
import { applyDynamicConfig, dynamicConfigSource, parseDynamicConfig } from './dynamic-config.js';
import { parseProxyArgs } from './flags.js';
import type { ProxyOptions } from './options.js';
import { SETTING_KEYS, snakeCase } from './settings.js';

const flags = (...extra: string[]) =>
  parseProxyArgs(['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--dynamic-config-json', '/cfg/config.json', ...extra], {});

describe('parseDynamicConfig', () => {
  it("reads the reference README's JSON example (comma-separated strings)", () => {
    const dyn = parseDynamicConfig(
      JSON.stringify({
        service_discovery: 'static',
        routing_logic: 'roundrobin',
        static_backends: 'http://localhost:9001,http://localhost:9002,http://localhost:9003',
        static_models: 'facebook/opt-125m,meta-llama/Llama-3.1-8B-Instruct,facebook/opt-125m',
      }),
      'json',
    );
    expect(dyn).toEqual({
      settings: {
        serviceDiscovery: 'static',
        routingLogic: 'roundrobin',
        staticBackends: ['http://localhost:9001', 'http://localhost:9002', 'http://localhost:9003'],
        staticModels: ['facebook/opt-125m', 'meta-llama/Llama-3.1-8B-Instruct', 'facebook/opt-125m'],
      },
      ignoredFields: [],
    });
  });

  it('reads YAML with lists, numbers and booleans', () => {
    const dyn = parseDynamicConfig(
      [
        'routing_logic: session',
        'session_key: x-user-id',
        'static_backends: [http://a:8000, http://b:8000]',
        'static_models:',
        '  - llama',
        '  - qwen',
        'static_backend_kinds: sglang',
        'k8s_port: 9000',
        'log_stats: true',
        'engine_stats_interval: 0.5',
      ].join('\n'),
      'yaml',
    );
    expect(dyn.settings).toEqual({
      routingLogic: 'session',
      sessionKey: 'x-user-id',
      staticBackends: ['http://a:8000', 'http://b:8000'],
      staticModels: ['llama', 'qwen'],
      staticBackendKinds: ['sglang'],
      k8sPort: 9000,
      logStats: true,
      engineStatsInterval: 0.5,
    });
  });

  it("reads the reference's YAML form: models mapped to their backends, aliases as a mapping", () => {
    const dyn = parseDynamicConfig(
      [
        'static_models:',
        '  llama:',
        '    static_backends: [http://a:8000, http://b:8000]',
        '    static_model_type: chat',
        '  bge:',
        '    static_backends: [http://c:8000]',
        '    static_model_type: embeddings',
        'static_aliases:',
        '  gpt4: llama',
      ].join('\n'),
      'yaml',
    );
    expect(dyn.settings).toEqual({
      staticBackends: ['http://a:8000', 'http://b:8000', 'http://c:8000'],
      staticModels: ['llama', 'llama', 'bge'],
      staticModelTypes: ['chat', 'chat', 'embeddings'],
      staticAliases: { gpt4: 'llama' },
    });
  });

  it('accepts every option by its snake_case name, except the dynamic config paths', () => {
    const known = SETTING_KEYS.filter((k) => k !== 'dynamicConfigJson' && k !== 'dynamicConfigYaml');
    const doc = Object.fromEntries(known.map((k) => [snakeCase(k), SAMPLE[k]]));
    const dyn = parseDynamicConfig(JSON.stringify(doc), 'json');
    expect(dyn.ignoredFields).toEqual([]);
    expect(Object.keys(dyn.settings).sort()).toEqual([...known].sort());
    expect(parseDynamicConfig('{"dynamic_config_yaml": "x.yaml"}', 'json').ignoredFields).toEqual(['dynamic_config_yaml']);
  });

  it('reports unknown fields instead of failing, and treats null as unset', () => {
    const dyn = parseDynamicConfig('{"routing_logic": "roundrobin", "route_by_mood": true, "session_key": null}', 'json');
    expect(dyn).toEqual({ settings: { routingLogic: 'roundrobin' }, ignoredFields: ['route_by_mood'] });
  });

  it('refuses the reference\'s experimental fields by name, as on the command line', () => {
    expect(() => parseDynamicConfig('{"routing_logic": "kvaware", "lmcache_controller_port": 9000}', 'json')).toThrow(/^lmcache_controller_port: is not supported: the LMCache controller/);
    expect(() => parseDynamicConfig('semantic_cache_threshold: 0.9', 'yaml')).toThrow(/^semantic_cache_threshold: is not supported: the semantic cache/);
  });

  it('explains what is wrong with an invalid file', () => {
    const problem = (text: string, format: 'json' | 'yaml' = 'json') => {
      try {
        parseDynamicConfig(text, format);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(problem('{"routing_logic": ')).toMatch(/^dynamic config \(JSON\): cannot be parsed: /);
    expect(problem('a: [1', 'yaml')).toMatch(/^dynamic config \(YAML\): cannot be parsed: /);
    expect(problem('', 'yaml')).toBe('dynamic config (YAML): is empty');
    expect(problem('[1, 2]')).toBe('dynamic config (JSON): [1,2] must be an object of settings at the top level');
    expect(problem('{"routing_logic": "random"}')).toMatch(/^routing_logic: "random" must be one of roundrobin/);
    expect(problem('{"k8s_port": "eighty"}')).toBe('k8s_port: "eighty" must be an integer from 1 to 65535');
    expect(problem('{"static_backends": ["http://a:1", 7]}')).toBe('static_backends entry 2: 7 is not a valid URL');
  });
});

describe('applyDynamicConfig', () => {
  it('overrides every field the file sets and keeps the flags for the rest', () => {
    const base = flags('--port', '9000', '--static-backends', 'http://old:8000', '--static-models', 'old');
    const dyn = parseDynamicConfig(
      JSON.stringify({
        routing_logic: 'session',
        session_key: 'x-user',
        static_backends: ['http://a:8000', 'http://b:8000'],
        static_models: 'm1,m2',
        static_aliases: 'gpt4:m1',
        static_model_types: 'chat,chat',
        static_backend_kinds: 'sglang,vllm',
        static_model_labels: 'prefill,decode',
        api_keys: ['sk-file'],
      }),
      'json',
    );
    const o = applyDynamicConfig(base, dyn);
    expect(o).toMatchObject({
      port: 9000,
      routingLogic: 'session',
      sessionKey: 'x-user',
      staticBackends: ['http://a:8000', 'http://b:8000'],
      staticModels: ['m1', 'm2'],
      staticAliases: { gpt4: 'm1' },
      staticModelTypes: ['chat', 'chat'],
      staticBackendKinds: ['sglang', 'vllm'],
      staticModelLabels: ['prefill', 'decode'],
      apiKeys: ['sk-file'],
    });
    expect(base.staticBackends).toEqual(['http://old:8000']);
  });

  it('supplies the static lists the flags left to the file', () => {
    const dyn = parseDynamicConfig('{"static_backends": "http://a:8000", "static_models": "m"}', 'json');
    expect(applyDynamicConfig(flags(), dyn)).toMatchObject({ staticBackends: ['http://a:8000'], staticModels: ['m'] });
  });

  it('checks the combined options, naming the file fields', () => {
    const base = flags('--static-backends', 'http://a:8000,http://b:8000', '--static-models', 'm1,m2');
    expect(() => applyDynamicConfig(base, parseDynamicConfig('{"static_models": "m1"}', 'json'))).toThrow(/^static_models: "m1" has 1 entry but static_backends has 2/);
    expect(() => applyDynamicConfig(base, parseDynamicConfig('{"routing_logic": "session"}', 'json'))).toThrow(/^session_key: is required/);
    expect(() => applyDynamicConfig(flags(), parseDynamicConfig('{"routing_logic": "roundrobin"}', 'json'))).toThrow(/^static_backends: is required/);
  });
});

describe('dynamicConfigSource', () => {
  it('names the file from either flag with its format', () => {
    expect(dynamicConfigSource(flags())).toEqual({ path: '/cfg/config.json', format: 'json' });
  });
});

/** A valid value for each option, as a config file would spell it. */
const SAMPLE: Record<keyof ProxyOptions, unknown> = {
  host: '127.0.0.1', port: 8080, rootPath: '/llm',
  serviceDiscovery: 'k8s', staticBackends: 'http://a:8000', staticModels: 'm', staticAliases: { alias: 'm' },
  staticModelTypes: ['chat'], staticBackendKinds: ['vllm'], staticModelLabels: [''], staticBackendHealthChecks: true,
  staticBackendHealthCheckInterval: 30, staticBackendHealthCheckTimeoutSeconds: 5,
  k8sPort: 8000, k8sNamespace: 'llm', k8sLabelSelector: 'app=vllm', k8sServiceDiscoveryType: 'service-name',
  routingConfigmap: 'llm/routing', routingFile: '/etc/routing.json',
  routingLogic: 'session', sessionKey: 'x-user', prefixMinMatchLength: 128,
  prefixBlockChars: 32, prefixMaxBlocks: 128, prefixMaxBlocksPerEngine: 1000, prefixMinMatchRatio: 0.5, prefixBalanceAbsThreshold: 4, prefixBalanceRelThreshold: 2,
  prefillModelLabels: ['prefill'], decodeModelLabels: ['decode'],
  engineStatsInterval: 10, requestStatsWindow: 30, logStats: true, logStatsInterval: 5,
  dynamicConfigJson: undefined, dynamicConfigYaml: undefined,
  logLevel: 'debug', logFormat: 'json', apiKeys: 'sk-1,sk-2', backendApiKey: 'sk-up',
  maxBodyBytes: 1024, connectTimeoutMs: 1000, firstByteTimeoutMs: 60_000, maxInstanceFailoverRerouteAttempts: 1, requestMigrationAttempts: 2, requestMigrationDrainGraceSeconds: 10, drainTimeoutSeconds: 5,
  outlierDetection: false, outlierConsecutiveFailures: 3, outlierBaseEjectionSeconds: 10, outlierMaxEjectionSeconds: 60, outlierProbeIntervalSeconds: 1,
  requestHeaderTimeoutMs: 5000, requestBodyTimeoutMs: 60_000, maxHeaderBytes: 8192, maxHeaderCount: 50, maxConnectionsPerClient: 64,
  enableBatchApi: true, fileStorageClass: 'local_file', fileStoragePath: '/data', batchProcessor: 'local', batchConcurrency: 2, batchLeaseSeconds: 5, maxFileBytes: 2048,
  otelEndpoint: 'localhost:4317', otelServiceName: 'router', sentryDsn: 'https://key@sentry.example/1',
  otelSecure: true, sentryTracesSampleRate: 0.5, sentryProfileSessionSampleRate: 0.25,
  k8sWatcherTimeoutSeconds: 60, kvAwareThreshold: 500, callbacks: './hooks.mjs', requestRewriter: 'noop',
  featureGates: 'SemanticCache=false', externalProvidersConfig: '/etc/router/providers.yaml',
  maxConcurrencyPerEngine: 8, maxEngineWaiting: 4, maxEngineKvUsage: 0.9, queueMaxSize: 100, queueTimeoutSeconds: 10,
  priorityHeader: 'x-prio', priorityField: 'prio', priorityDefault: 5, tenantHeader: 'x-tenant', tenantWeights: { 'team-a': 3 },
  rateLimitRpm: 600, rateLimitTpm: 100_000, affinityMaxWaitMs: 150, staticBackendPriorityScheduling: [true],
};
