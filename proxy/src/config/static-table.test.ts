import { describe, expect, it } from '@jest/globals';
import { validateRoutingTable } from '@vllm-router/common/routing-table';
import { ConfigError } from './errors.js';
import { parseProxyArgs } from './flags.js';
import { buildStaticTable } from './static-table.js';

const options = (...flags: string[]) => parseProxyArgs(['--service-discovery', 'static', '--routing-logic', 'roundrobin', ...flags], {});

const ONE = ['--static-backends', 'http://10.0.0.1:8000', '--static-models', 'llama'];

describe('buildStaticTable', () => {
  it('makes one ready engine per backend with its model, kind and label', () => {
    const table = buildStaticTable(
      options(
        '--static-backends', 'http://10.0.0.1:8000,http://10.0.0.2:8000/v1/',
        '--static-models', 'llama,qwen',
        '--static-backend-kinds', 'vllm,sglang',
        '--static-model-labels', 'prefill,',
      ),
    );
    expect(table.engines).toEqual([
      { id: 'http://10.0.0.1:8000', url: 'http://10.0.0.1:8000', models: ['llama'], backendKind: 'vllm', labels: { model: 'prefill' }, ready: true },
      { id: 'http://10.0.0.2:8000', url: 'http://10.0.0.2:8000', models: ['qwen'], backendKind: 'sglang', labels: {}, ready: true },
    ]);
    expect(table).toMatchObject({ version: 1, source: 'static', routingLogic: 'roundrobin', aliases: {}, modelTypes: {} });
    expect(validateRoutingTable(table)).toEqual({ ok: true, table });
  });

  it('carries aliases, model types, the routing logic and the session key', () => {
    const table = buildStaticTable(
      options(
        '--static-backends', 'http://a:8000,http://b:8000,http://c:8000',
        '--static-models', 'llama,llama,bge',
        '--static-model-types', 'chat,chat,embeddings',
        '--static-aliases', 'gpt4:llama',
        '--static-backend-kinds', 'tgi',
        '--routing-logic', 'session', '--session-key', 'x-user',
      ),
    );
    expect(table.engines.map((e) => e.backendKind)).toEqual(['tgi', 'tgi', 'tgi']);
    expect(table).toMatchObject({ aliases: { gpt4: 'llama' }, modelTypes: { llama: 'chat', bge: 'embeddings' }, routingLogic: 'session', sessionKey: 'x-user' });
    expect(table.prefix).toBeUndefined();
  });

  it('gives a URL listed once per model distinct engine ids', () => {
    const table = buildStaticTable(options('--static-backends', 'http://a:8000,http://b:8000,http://a:8000', '--static-models', 'm1,m1,m2'));
    expect(table.engines.map((e) => e.id)).toEqual(['http://a:8000#0', 'http://b:8000', 'http://a:8000#2']);
  });

  it('carries prefix-aware tuning flags into the table, and nothing when none is set', () => {
    const tuned = buildStaticTable(options(...ONE, '--prefix-min-match-length', '256', '--prefix-block-chars', '32', '--prefix-balance-rel-threshold', '2'));
    expect(tuned.prefix).toEqual({ minMatchChars: 256, blockChars: 32, balanceRelThreshold: 2 });
    expect(buildStaticTable(options(...ONE)).prefix).toBeUndefined();
    expect(() => buildStaticTable(options(...ONE, '--prefix-min-match-ratio', '1.5'))).toThrow(/prefix.minMatchRatio/);
  });

  it('labels the table with the source it came from', () => {
    expect(buildStaticTable(options('--static-backends', 'http://a:8000', '--static-models', 'm'), 'dynamic-config').source).toBe('dynamic-config');
  });

  it("refuses what the routing table contract refuses, with the contract's reasons", () => {
    const shadowing = options('--static-backends', 'http://a:8000,http://b:8000', '--static-models', 'm1,m2', '--static-aliases', 'm1:m2');
    expect(() => buildStaticTable(shadowing)).toThrow(ConfigError);
    expect(() => buildStaticTable(shadowing)).toThrow(/aliases\.m1: "m2" alias shadows a model an engine serves/);
  });

  it('refuses one model given two types', () => {
    const o = options('--static-backends', 'http://a:8000,http://b:8000', '--static-models', 'm,m', '--static-model-types', 'chat,embeddings');
    expect(() => buildStaticTable(o)).toThrow('--static-model-types: "chat,embeddings" gives model m two types (chat and embeddings)');
  });

  it('refuses to build before the models are known', () => {
    const o = options('--static-backends', 'http://a:8000', '--dynamic-config-yaml', '/etc/router/config.yaml');
    expect(() => buildStaticTable(o)).toThrow(/--static-models: .*has 0 entries but --static-backends has 1/);
  });
});
