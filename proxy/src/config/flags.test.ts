import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, HelpRequested } from './errors.js';
import { parseProxyArgs } from './flags.js';

const STATIC = ['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--static-backends', 'http://a:8000,http://b:8000', '--static-models', 'm1,m2'];
const parse = (...extra: string[]) => parseProxyArgs([...STATIC, ...extra], {});

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseProxyArgs', () => {
  it('refuses Object.prototype names where a choice or its synonyms are looked up', () => {
    for (const level of ['constructor', 'toString', '__proto__']) expect(configErrorOf(() => parse('--log-level', level)).setting).toBe('--log-level');
  });

  it('keeps aliases named like Object.prototype members as plain aliases', () => {
    const aliases = parse('--static-aliases', '__proto__:m1,constructor:m2').staticAliases;
    expect(Object.entries(aliases)).toEqual([['__proto__', 'm1'], ['constructor', 'm2']]);
  });

  it('parses the client limits, with their defaults', () => {
    expect(parse()).toMatchObject({ requestHeaderTimeoutMs: 20_000, requestBodyTimeoutMs: 300_000, maxHeaderBytes: 16_384, maxHeaderCount: 100, maxConnectionsPerClient: 256 });
    expect(parse('--request-header-timeout-ms', '5000', '--request-body-timeout-ms', '60000', '--max-connections-per-client', '8')).toMatchObject({
      requestHeaderTimeoutMs: 5000,
      requestBodyTimeoutMs: 60_000,
      maxConnectionsPerClient: 8,
    });
    expect(configErrorOf(() => parse('--request-body-timeout-ms', '0')).setting).toBe('--request-body-timeout-ms');
    expect(parse('--max-connections-per-client', '0').maxConnectionsPerClient).toBe(0); // no cap
  });

  it('uses the reference router defaults for the flags it shares', () => {
    expect(parse()).toMatchObject({
      host: '0.0.0.0',
      port: 8001,
      rootPath: '',
      k8sPort: 8000,
      k8sNamespace: 'default',
      k8sLabelSelector: '',
      k8sServiceDiscoveryType: 'pod-ip',
      staticBackendHealthChecks: false,
      staticBackendHealthCheckInterval: 60,
      staticBackendHealthCheckTimeoutSeconds: 10,
      engineStatsInterval: 30,
      requestStatsWindow: 60,
      logStats: false,
      logStatsInterval: 10,
      logLevel: 'info',
      enableBatchApi: false,
      fileStorageClass: 'local_file',
      fileStoragePath: '/tmp/vllm_files',
      batchProcessor: 'local',
      otelServiceName: 'vllm-router',
      otelSecure: false,
      sentryTracesSampleRate: 0.1,
      sentryProfileSessionSampleRate: 1,
      k8sWatcherTimeoutSeconds: 0,
      kvAwareThreshold: 2000,
      requestRewriter: 'noop',
      featureGates: [],
    });
  });

  it('uses our defaults for the flags the reference lacks', () => {
    const o = parse();
    expect(o).toMatchObject({
      logFormat: 'text',
      staticBackendKinds: ['vllm'],
      apiKeys: [],
      maxBodyBytes: 32 * 1024 * 1024,
      connectTimeoutMs: 5000,
      firstByteTimeoutMs: 300_000,
      maxInstanceFailoverRerouteAttempts: 2,
      requestMigrationAttempts: 1,
      requestMigrationDrainGraceSeconds: 20,
      drainTimeoutSeconds: 30,
      batchConcurrency: 8,
      batchLeaseSeconds: 30,
      maxFileBytes: 512 * 1024 * 1024,
    });
    for (const optional of ['sessionKey', 'prefixMinMatchLength', 'dynamicConfigJson', 'backendApiKey', 'otelEndpoint', 'sentryDsn'] as const)
      expect(o[optional]).toBeUndefined();
  });

  it("accepts the reference README's example command", () => {
    const o = parseProxyArgs(
      [
        '--port', '8000', '--service-discovery', 'static',
        '--static-backends', 'http://localhost:9001,http://localhost:9002,http://localhost:9003',
        '--static-models', 'facebook/opt-125m,meta-llama/Llama-3.1-8B-Instruct,facebook/opt-125m',
        '--static-aliases', 'gpt4:meta-llama/Llama-3.1-8B-Instruct',
        '--static-model-types', 'chat,chat,chat',
        '--static-backend-health-checks', '--engine-stats-interval', '10', '--log-stats', '--routing-logic', 'roundrobin',
      ],
      {},
    );
    expect(o).toMatchObject({
      port: 8000,
      staticBackends: ['http://localhost:9001', 'http://localhost:9002', 'http://localhost:9003'],
      staticModels: ['facebook/opt-125m', 'meta-llama/Llama-3.1-8B-Instruct', 'facebook/opt-125m'],
      staticAliases: { gpt4: 'meta-llama/Llama-3.1-8B-Instruct' },
      staticModelTypes: ['chat', 'chat', 'chat'],
      staticBackendHealthChecks: true,
      engineStatsInterval: 10,
      logStats: true,
    });
  });

  it('requires --service-discovery and --routing-logic', () => {
    expect(configErrorOf(() => parseProxyArgs(['--routing-logic', 'roundrobin'], {})).message).toBe('--service-discovery: is required (one of static, k8s, configmap, external-only)');
    expect(configErrorOf(() => parseProxyArgs(['--service-discovery', 'k8s'], {})).setting).toBe('--routing-logic');
  });

  it('takes request migration settings: attempts 0 turns migration off, at most 10', () => {
    expect(parse('--request-migration-attempts', '0', '--request-migration-drain-grace-seconds', '2.5')).toMatchObject({ requestMigrationAttempts: 0, requestMigrationDrainGraceSeconds: 2.5 });
    expect(configErrorOf(() => parse('--request-migration-attempts', '11')).message).toBe('--request-migration-attempts: "11" must be an integer from 0 to 10');
    expect(configErrorOf(() => parse('--request-migration-drain-grace-seconds', '-1')).message).toMatch(/^--request-migration-drain-grace-seconds: "-1" must be/);
  });

  it('names the flag, the value and the reason for a bad value', () => {
    expect(configErrorOf(() => parse('--port', 'abc')).message).toBe('--port: "abc" must be an integer from 0 to 65535');
    expect(configErrorOf(() => parse('--routing-logic', 'random')).message).toMatch(/^--routing-logic: "random" must be one of roundrobin, session/);
    expect(configErrorOf(() => parse('--static-backends', 'http://a:8000,ftp://b')).message).toBe('--static-backends entry 2: "ftp://b" must be an http or https URL');
    expect(configErrorOf(() => parse('--engine-stats-interval', '0')).message).toBe('--engine-stats-interval: "0" must be a number greater than 0');
  });

  it('rejects unknown flags and stray arguments', () => {
    expect(configErrorOf(() => parse('--bogus-flag', '1')).message).toBe('Unknown argument: --bogus-flag (see --help)');
    expect(configErrorOf(() => parse('extra')).message).toBe('Unknown argument: extra (see --help)');
  });

  it('parses aliases, keeping colons inside model names', () => {
    expect(parse('--static-aliases', 'fast:m1, big:llama3:70b').staticAliases).toEqual({ fast: 'm1', big: 'llama3:70b' });
    expect(configErrorOf(() => parse('--static-aliases', 'fast')).message).toBe('--static-aliases: "fast" must be an alias:model pair');
  });

  it('requires per-backend lists to line up with --static-backends', () => {
    expect(configErrorOf(() => parse('--static-models', 'm1')).message).toMatch(/^--static-models: "m1" has 1 entry but --static-backends has 2/);
    expect(configErrorOf(() => parse('--static-model-types', 'chat')).setting).toBe('--static-model-types');
    expect(configErrorOf(() => parse('--static-model-labels', 'a,b,c')).setting).toBe('--static-model-labels');
    expect(configErrorOf(() => parse('--static-model-types', 'chat,poetry')).message).toMatch(/^--static-model-types entry 2: "poetry" must be one of chat/);
  });

  it('takes one backend kind for all backends, or one per backend', () => {
    expect(parse('--static-backend-kinds', 'sglang').staticBackendKinds).toEqual(['sglang']);
    expect(parse('--static-backend-kinds', 'tgi,ollama').staticBackendKinds).toEqual(['tgi', 'ollama']);
    expect(configErrorOf(() => parse('--static-backend-kinds', 'vllm,vllm,vllm')).message).toMatch(/expected 1 or 2/);
  });

  it('needs --static-model-types for health checks, as the reference does', () => {
    expect(configErrorOf(() => parse('--static-backend-health-checks')).setting).toBe('--static-model-types');
    expect(parse('--static-backend-health-checks', '--static-model-types', 'chat,embeddings').staticBackendHealthChecks).toBe(true);
  });

  it('needs --session-key for session routing', () => {
    expect(configErrorOf(() => parse('--routing-logic', 'session')).setting).toBe('--session-key');
    expect(parse('--routing-logic', 'session', '--session-key', 'x-user-id').sessionKey).toBe('x-user-id');
  });

  it('needs a routing table source for configmap discovery', () => {
    const cm = ['--service-discovery', 'configmap', '--routing-logic', 'leastload'];
    expect(configErrorOf(() => parseProxyArgs(cm, {})).setting).toBe('--routing-configmap');
    expect(parseProxyArgs([...cm, '--routing-configmap', 'llm/router-routing'], {}).routingConfigmap).toBe('llm/router-routing');
    expect(parseProxyArgs([...cm, '--routing-file', '/etc/routing/routing.json'], {}).routingFile).toBe('/etc/routing/routing.json');
    expect(configErrorOf(() => parseProxyArgs([...cm, '--routing-configmap', 'router-routing'], {})).message).toMatch(/<namespace>\/<name>/);
  });

  it('lets a dynamic config file supply the static lists, and takes only one such file', () => {
    const o = parseProxyArgs(['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--dynamic-config-json', '/etc/router/config.json'], {});
    expect(o).toMatchObject({ staticBackends: [], staticModels: [], dynamicConfigJson: '/etc/router/config.json' });
    expect(configErrorOf(() => parse('--dynamic-config-json', 'a.json', '--dynamic-config-yaml', 'a.yaml')).message).toMatch(/cannot be combined with --dynamic-config-json/);
  });

  it("accepts the reference's spellings of flags, negations and log levels", () => {
    expect(parse('--backend-health-check-timeout-seconds', '3').staticBackendHealthCheckTimeoutSeconds).toBe(3);
    expect(parse('--log-stats', '--no-log-stats').logStats).toBe(false);
    expect(parse('--log-level', 'warning').logLevel).toBe('warn');
    expect(parse('--log-level', 'debug', '--log-format', 'json')).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
  });

  it('merges client API keys from the flag, VLLM_ROUTER_API_KEYS and --api-keys-file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      const file = join(dir, 'keys');
      writeFileSync(file, '# rotated 2025-01\nsk-file\n\nsk-flag\n');
      const o = parseProxyArgs([...STATIC, '--api-keys', 'sk-flag,sk-other', '--api-keys-file', file], { VLLM_ROUTER_API_KEYS: 'sk-env' });
      expect(o.apiKeys).toEqual(['sk-flag', 'sk-other', 'sk-env', 'sk-file']);
      expect(configErrorOf(() => parse('--api-keys-file', join(dir, 'missing'))).message).toMatch(/^--api-keys-file: ".*missing" cannot be read \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps key values out of error messages', () => {
    const err = configErrorOf(() => parse('--api-keys', 'sk-secret,'));
    expect(err.message).toBe('--api-keys entry 2: (value hidden) must not be empty');
    expect(err.message).not.toContain('sk-secret');
  });

  it('takes the backend key from VLLM_API_KEY unless the flag gives one', () => {
    expect(parseProxyArgs(STATIC, { VLLM_API_KEY: 'env-key' }).backendApiKey).toBe('env-key');
    expect(parseProxyArgs([...STATIC, '--backend-api-key', 'flag-key'], { VLLM_API_KEY: 'env-key' }).backendApiKey).toBe('flag-key');
  });

  it('answers --version as the reference does, with the program name and version', () => {
    let version: unknown;
    try {
      parseProxyArgs(['--version'], {});
    } catch (err) {
      version = err;
    }
    expect(version).toBeInstanceOf(HelpRequested);
    expect((version as HelpRequested).text).toMatch(/^vllm-router \d+\.\d+\.\d+$/);
  });

  it('refuses the experimental LMCache and semantic-cache flags with one line naming the flag and why', () => {
    expect(configErrorOf(() => parse('--lmcache-controller-port', '9000')).message).toMatch(/^--lmcache-controller-port: is not supported: the LMCache controller .* is experimental in the reference router/);
    expect(configErrorOf(() => parse('--lmcache-worker-timeout', '30')).setting).toBe('--lmcache-worker-timeout');
    expect(configErrorOf(() => parse('--semantic-cache-model', 'all-MiniLM-L6-v2')).message).toMatch(/^--semantic-cache-model: is not supported: the semantic cache/);
  });

  it('accepts feature gates turned off, and refuses turning an experimental one on', () => {
    expect(parse('--feature-gates', 'SemanticCache=false,PIIDetection=false').featureGates).toEqual([
      { name: 'SemanticCache', enabled: false },
      { name: 'PIIDetection', enabled: false },
    ]);
    expect(configErrorOf(() => parse('--feature-gates', 'PIIDetection=true')).message).toMatch(/^--feature-gates: "PIIDetection=true" cannot be enabled: PII detection/);
    expect(configErrorOf(() => parse('--feature-gates', 'Semantic=true')).message).toMatch(/is not a feature gate of the reference router/);
    expect(configErrorOf(() => parse('--feature-gates', 'SemanticCache')).message).toMatch(/must be Name=true or Name=false/);
  });

  it('checks the Sentry sample rates as the reference does (0..1)', () => {
    expect(parse('--sentry-traces-sample-rate', '1', '--sentry-profile-session-sample-rate', '0').sentryTracesSampleRate).toBe(1);
    expect(configErrorOf(() => parse('--sentry-traces-sample-rate', '1.5')).message).toBe('--sentry-traces-sample-rate: "1.5" must be a number from 0 to 1');
  });

  it('defaults service discovery to external-only when only external providers are given, as the reference does', () => {
    const o = parseProxyArgs(['--routing-logic', 'roundrobin', '--external-providers-config', '/etc/router/providers.yaml'], {});
    expect(o).toMatchObject({ serviceDiscovery: 'external-only', externalProvidersConfig: '/etc/router/providers.yaml' });
    expect(configErrorOf(() => parseProxyArgs(['--routing-logic', 'roundrobin', '--service-discovery', 'external-only'], {})).setting).toBe('--external-providers-config');
  });

  it('takes required settings from the dynamic config file when the command line lacks them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dyn-'));
    try {
      const file = join(dir, 'router.yaml');
      writeFileSync(file, 'service_discovery: static\nrouting_logic: session\nsession_key: x-user-id\nstatic_models:\n  m1:\n    static_backends: [http://a:8000]\n');
      expect(parseProxyArgs(['--dynamic-config-yaml', file], {})).toMatchObject({ serviceDiscovery: 'static', routingLogic: 'session', dynamicConfigYaml: file });
      // A flag given on the command line is kept; the file fills in only what is missing.
      expect(parseProxyArgs(['--dynamic-config-yaml', file, '--routing-logic', 'roundrobin'], {}).routingLogic).toBe('roundrobin');
      expect(configErrorOf(() => parseProxyArgs(['--dynamic-config-yaml', join(dir, 'missing.yaml')], {})).message).toMatch(/^--dynamic-config-yaml: ".*missing.yaml" cannot be read \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers --help with the help text instead of options', () => {
    let help: unknown;
    try {
      parseProxyArgs(['--help'], {});
    } catch (err) {
      help = err;
    }
    expect(help).toBeInstanceOf(HelpRequested);
    expect((help as HelpRequested).text).toMatch(/--static-backends[\s\S]*--routing-logic[\s\S]*--first-byte-timeout-ms/);
  });
});
