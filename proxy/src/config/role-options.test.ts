import { describe, expect, it } from '@jest/globals';
import { applyDynamicConfig, parseDynamicConfig } from './dynamic-config.js';
import { ConfigError } from './errors.js';
import { parseProxyArgs } from './flags.js';
import { buildStaticTable } from './static-table.js';

const TWO = ['--static-backends', 'http://10.0.0.1:8000,http://10.0.0.2:8000', '--static-models', 'llama,llama'];
const LABELS = ['--prefill-model-labels', 'prefill', '--decode-model-labels', 'decode'];
const parse = (...flags: string[]) => parseProxyArgs(['--service-discovery', 'static', ...flags], {});

describe('--prefill-model-labels and --decode-model-labels', () => {
  it.each(['roundrobin', 'session', 'leastload', 'prefixaware', 'kvaware', 'disaggregated_prefill', 'disaggregated_prefill_orchestrated'])(
    'are accepted with routing logic %s, as the reference CI passes them to every logic',
    (logic) => {
      const options = parse(...TWO, '--static-model-labels', 'prefill,decode', ...LABELS, '--session-key', 'x-user', '--routing-logic', logic);
      expect(options).toMatchObject({ prefillModelLabels: ['prefill'], decodeModelLabels: ['decode'], routingLogic: logic });
      expect(buildStaticTable(options).engines.map((e) => e.role)).toEqual(['prefill', 'decode']);
    },
  );

  it('give static backends their role from --static-model-labels (several labels per role, unlisted labels none)', () => {
    const table = buildStaticTable(
      parse(
        '--routing-logic', 'disaggregated_prefill',
        '--static-backends', 'http://a:8000,http://b:8000,http://c:8000,http://d:8000',
        '--static-models', 'm,m,m,m',
        '--static-model-labels', 'llama-prefill,llama-decode,other,',
        '--prefill-model-labels', 'llama-prefill,spare-prefill',
        '--decode-model-labels', 'llama-decode',
      ),
    );
    expect(table.engines.map((e) => [e.url, e.role, e.labels])).toEqual([
      ['http://a:8000', 'prefill', { model: 'llama-prefill' }],
      ['http://b:8000', 'decode', { model: 'llama-decode' }],
      ['http://c:8000', undefined, { model: 'other' }],
      ['http://d:8000', undefined, {}],
    ]);
  });

  it('refuse a label listed under both roles, whatever the logic', () => {
    expect(() => parse(...TWO, '--routing-logic', 'roundrobin', '--prefill-model-labels', 'a,b', '--decode-model-labels', 'b')).toThrow(
      new ConfigError('--decode-model-labels', 'b', 'names b, which --prefill-model-labels names too (a label gives one role)'),
    );
  });

  it('are required by the disaggregated logics when the proxy assigns roles itself', () => {
    expect(() => parse(...TWO, '--routing-logic', 'disaggregated_prefill', '--decode-model-labels', 'decode')).toThrow(
      "--prefill-model-labels: is required with routing logic disaggregated_prefill (the prefill engines' model labels)",
    );
    expect(() => parseProxyArgs(['--service-discovery', 'k8s', '--routing-logic', 'disaggregated_prefill_orchestrated', '--prefill-model-labels', 'p'], {})).toThrow(
      '--decode-model-labels: is required',
    );
    // With the operator's table the roles come with the table.
    expect(parseProxyArgs(['--service-discovery', 'configmap', '--routing-file', '/tmp/t.json', '--routing-logic', 'disaggregated_prefill'], {}).routingLogic).toBe('disaggregated_prefill');
  });

  it('must give at least one static backend each role under a disaggregated logic', () => {
    expect(() => parse(...TWO, '--routing-logic', 'disaggregated_prefill_orchestrated', '--static-model-labels', 'prefill,prefil', ...LABELS)).toThrow(
      '--static-model-labels: "prefill,prefil" gives no backend a decode label (decode); routing logic disaggregated_prefill_orchestrated needs at least one decode engine',
    );
  });

  it('are read from a dynamic config file in the reference\'s snake_case', () => {
    const base = parse(...TWO, '--routing-logic', 'roundrobin');
    const dyn = parseDynamicConfig(
      JSON.stringify({ routing_logic: 'disaggregated_prefill', static_model_labels: 'p,d', prefill_model_labels: 'p', decode_model_labels: ['d'] }),
      'json',
    );
    const merged = applyDynamicConfig(base, dyn);
    expect(buildStaticTable(merged, 'dynamic-config').engines.map((e) => e.role)).toEqual(['prefill', 'decode']);
    expect(() => applyDynamicConfig(base, parseDynamicConfig('{"routing_logic":"disaggregated_prefill"}', 'json'))).toThrow('prefill_model_labels: is required');
  });
});
