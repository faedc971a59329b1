import { describe, expect, it } from '@jest/globals';
import { finalizeTable } from '@vllm-router/common/routing-table';
import { ConfigError } from '../config/errors.js';
import { ExternalProviders, parseExternalProviders } from './external-providers.js';

const YAML = [
  'external_providers:',
  '  - name: openai',
  '    type: openai',
  '    api_base: https://api.openai.com/v1',
  '    api_key_env_var: OPENAI_KEY',
  '    custom_headers: {OpenAI-Organization: org-1}',
  '    models:',
  '      - id: gpt-4o',
  '        aliases: [gpt4o]',
  '',
].join('\n');

const problem = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseExternalProviders(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('external providers (--external-providers-config)', () => {
  it("reads the reference's YAML: an engine per provider, aliases, and headers carrying its key", () => {
    const [p] = parseExternalProviders(YAML, { OPENAI_KEY: 'sk-1' });
    expect(p!.engine).toEqual({ id: 'external:openai', url: 'https://api.openai.com', models: ['gpt-4o'], backendKind: 'openai', labels: { 'external-provider': 'openai' }, ready: true });
    expect([...p!.aliases]).toEqual([['gpt4o', 'gpt-4o']]);
    expect({ ...p!.headers }).toEqual({ authorization: 'Bearer sk-1', 'openai-organization': 'org-1' });
  });

  it('adds the providers to a table, keeping its engines and aliases, and no key', () => {
    const providers = new ExternalProviders(parseExternalProviders(YAML, { OPENAI_KEY: 'sk-1' }));
    const base = finalizeTable({ source: 'static', routingLogic: 'roundrobin', engines: [{ id: 'e', url: 'http://e:8000', models: ['m'], backendKind: 'vllm', labels: {}, ready: true }], aliases: { gpt4o: 'm' }, modelTypes: {} });
    const table = providers.addTo(base);
    expect(table.engines.map((e) => e.id)).toEqual(['e', 'external:openai']);
    expect(table.aliases).toEqual({ gpt4o: 'm' });
    expect(table.revision).not.toBe(base.revision);
    expect(JSON.stringify(table)).not.toContain('sk-1');
    expect(providers.addTo(table).engines).toHaveLength(2);
  });

  it('names the variable of a missing key, never a key', () => {
    expect(problem(YAML)).toBe('--external-providers-config external_providers[0].api_key_env_var: "OPENAI_KEY" names an environment variable that is not set (the API key of provider "openai")');
  });

  it('refuses what it cannot route, naming the field', () => {
    expect(problem('external_providers: {}')).toMatch(/must have an external_providers list/);
    expect(problem(YAML.replace('type: openai', 'type: anthropic'), { OPENAI_KEY: 'k' })).toMatch(/external_providers\[0\]\.type: "anthropic" is not a provider type/);
    expect(problem(YAML.replace('https://api.openai.com/v1', 'ftp://x'), { OPENAI_KEY: 'k' })).toMatch(/api_base: "ftp:\/\/x" must be an http or https URL/);
    expect(problem(`${YAML}${YAML.split('\n').slice(1).join('\n').replace('name: openai', 'name: other')}`, { OPENAI_KEY: 'k' })).toMatch(/"gpt-4o" is a model of both "openai" and "other"/);
    expect(problem(YAML.replace('{OpenAI-Organization: org-1}', '{"Bad Header": x}'), { OPENAI_KEY: 'k' })).toMatch(/is not a valid header name/);
  });
});
