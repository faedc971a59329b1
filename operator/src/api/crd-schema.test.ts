import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';
import { BACKEND_KINDS, DEFAULT_PREFIX_PARAMS, ENGINE_ROLES, MODEL_TYPES, ROUTING_LOGICS } from '@vllm-router/common/routing-table';
import { GROUP, KIND, PLURAL, API_VERSION_NAME } from './constants.js';
import { ROUTER_LOGICS } from './types.js';

interface Schema {
  type?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
}
interface Crd {
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames: string[] };
    versions: { name: string; subresources: { status: object }; additionalPrinterColumns: { name: string; jsonPath: string }[]; schema: { openAPIV3Schema: Schema } }[];
  };
}

const crd = loadYaml(readFileSync(fileURLToPath(new URL('../../../crds/vllmrouters.router.vllm.ai.yaml', import.meta.url)), 'utf8')) as Crd;
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const at = (...path: string[]): Schema => path.reduce<Schema>((s, p) => (p === '*' ? s.additionalProperties! : p === '[]' ? s.items! : s.properties![p]!), root);

describe('the VLLMRouter CRD', () => {
  it('is router.vllm.ai/v1alpha1 VLLMRouter (vllmrouters, short name vllmr) with a status subresource', () => {
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.names).toMatchObject({ kind: KIND, plural: PLURAL, shortNames: ['vllmr'] });
    expect(version.name).toBe(API_VERSION_NAME);
    expect(version.subresources.status).toEqual({});
  });

  it('offers the routing logics the operator knows, all of them names the routing table accepts', () => {
    expect(at('spec', 'routing', 'logic').enum).toEqual([...ROUTER_LOGICS]);
    for (const logic of ROUTER_LOGICS) expect(ROUTING_LOGICS).toContain(logic);
  });

  it('uses the contract’s engine roles for static backends and status', () => {
    expect(at('spec', 'staticBackends', '[]', 'role').enum).toEqual([...ENGINE_ROLES]);
    expect(at('status', 'endpoints', '[]', 'role').enum).toEqual([...ENGINE_ROLES]);
  });

  it('uses the contract’s backend kinds, model types and prefix settings', () => {
    expect(at('spec', 'engines', 'backendKind').enum).toEqual([...BACKEND_KINDS]);
    expect(at('spec', 'staticBackends', '[]', 'backendKind').enum).toEqual([...BACKEND_KINDS]);
    expect(at('spec', 'modelTypes', '*').enum).toEqual([...MODEL_TYPES]);
    expect(Object.keys(at('spec', 'routing', 'prefix').properties ?? {}).sort()).toEqual(Object.keys(DEFAULT_PREFIX_PARAMS).sort());
  });

  it('has the admission settings the operator turns into proxy flags, and priorityScheduling per engine', () => {
    expect(Object.keys(at('spec', 'admission').properties ?? {}).sort()).toEqual(
      ['affinityMaxWaitMs', 'maxConcurrencyPerEngine', 'maxEngineKvUsage', 'maxEngineWaiting', 'priority', 'queueMaxSize', 'queueTimeoutSeconds', 'rateLimit', 'tenantHeader', 'tenantWeights'],
    );
    expect(Object.keys(at('spec', 'admission', 'priority').properties ?? {}).sort()).toEqual(['default', 'field', 'header']);
    expect(Object.keys(at('spec', 'admission', 'rateLimit').properties ?? {}).sort()).toEqual(['rpm', 'tpm']);
    expect(at('spec', 'engines', 'priorityScheduling').type).toBe('boolean');
    expect(at('spec', 'staticBackends', '[]', 'priorityScheduling').type).toBe('boolean');
  });

  it('prints columns that point at fields the status has', () => {
    const status = at('status').properties ?? {};
    for (const column of version.additionalPrinterColumns) {
      const m = /^\.status\.(\w+)/.exec(column.jsonPath);
      if (m) expect(Object.keys(status)).toContain(m[1]);
    }
    expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual(['Logic', 'Engines', 'Prefill', 'Decode', 'Models', 'Proxy', 'URL', 'Ready', 'Age']);
  });
});
