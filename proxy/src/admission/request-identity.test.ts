import { describe, expect, it } from '@jest/globals';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import { ProxyError } from '../http/errors.js';
import { priorityBodies } from './priority-body.js';
import { DEFAULT_TENANT, TenantResolver, estimatePromptTokens, keyTenantId, priorityOf } from './request-identity.js';

const settings = { header: 'x-request-priority', field: 'priority', default: 0 };

function refusal(fn: () => unknown): ProxyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('priorityOf', () => {
  it('reads the header, else the body field, else the default', () => {
    expect(priorityOf({ 'x-request-priority': '-5' }, { priority: 3 }, settings)).toBe(-5);
    expect(priorityOf({}, { priority: 3 }, settings)).toBe(3);
    expect(priorityOf({}, { priority: null }, settings)).toBe(0);
    expect(priorityOf({}, undefined, { ...settings, default: 7 })).toBe(7);
    expect(priorityOf({ 'x-request-priority': ' ' }, { other: 1 }, settings)).toBe(0);
  });

  it('refuses what is not a 32-bit integer with a 400 naming where it came from', () => {
    expect(refusal(() => priorityOf({ 'x-request-priority': 'high' }, undefined, settings))).toMatchObject({ status: 400, code: 'invalid_priority', param: 'x-request-priority' });
    expect(refusal(() => priorityOf({}, { priority: 1.5 }, settings))).toMatchObject({ status: 400, param: 'priority' });
    expect(refusal(() => priorityOf({}, { priority: '1' }, settings))).toMatchObject({ status: 400 });
    expect(refusal(() => priorityOf({ 'x-request-priority': '99999999999' }, undefined, settings))).toMatchObject({ status: 400 });
    expect(refusal(() => priorityOf({}, { priority: 2 ** 31 }, settings))).toMatchObject({ status: 400 });
  });

  it('does not read a field inherited from Object.prototype', () => {
    expect(priorityOf({}, JSON.parse('{"model":"m"}') as Record<string, unknown>, { ...settings, field: 'constructor' })).toBe(0);
  });
});

describe('TenantResolver', () => {
  it('names a configured API key by a hash of it, never the key itself', () => {
    const tenants = new TenantResolver(['sk-secret-1', 'sk-secret-2'], 'x-tenant');
    const id = tenants.tenantOf({ authorization: 'Bearer sk-secret-1', 'x-tenant': 'ignored' });
    expect(id).toBe(keyTenantId('sk-secret-1'));
    expect(id).toMatch(/^key-[0-9a-f]{8}$/);
    expect(id).not.toContain('secret');
    expect(tenants.tenantOf({ authorization: 'Bearer sk-secret-2' })).not.toBe(id);
    // Paths outside /v1 are not authenticated: the header decides there.
    expect(tenants.tenantOf({ 'x-tenant': 'team-a' })).toBe('team-a');
  });

  it('uses the tenant header without keys, one shared tenant without either', () => {
    expect(new TenantResolver([], 'x-tenant').tenantOf({ 'x-tenant': ' team-b ' })).toBe('team-b');
    expect(new TenantResolver([], 'x-tenant').tenantOf({})).toBe(DEFAULT_TENANT);
    expect(new TenantResolver([], undefined).tenantOf({ 'x-tenant': 'x' })).toBe(DEFAULT_TENANT);
    expect(new TenantResolver([], undefined).distinguishes).toBe(false);
  });

  it('refuses an absurdly long tenant name', () => {
    expect(refusal(() => new TenantResolver([], 'x-tenant').tenantOf({ 'x-tenant': 'x'.repeat(129) }))).toMatchObject({ status: 400, code: 'invalid_tenant' });
  });
});

describe('estimatePromptTokens', () => {
  it('counts about four characters a token of the rendered prompt', () => {
    expect(estimatePromptTokens({ prompt: 'x'.repeat(400) }, 420)).toBe(100);
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: 'y'.repeat(396) }] }, 450)).toBeGreaterThanOrEqual(100);
    expect(estimatePromptTokens(undefined, 4_000_000)).toBe(1);
    expect(estimatePromptTokens({ input: [] }, 10)).toBe(1);
  });
});

describe('priorityBodies', () => {
  const engine = (priorityScheduling: boolean): EngineEntry => ({ id: 'e', url: 'http://e', models: ['m'], backendKind: 'vllm', labels: {}, ready: true, priorityScheduling });
  const body = (json: Record<string, unknown>) => Buffer.from(JSON.stringify(json));

  it('leaves a body without priority alone at the default priority', () => {
    expect(priorityBodies({ model: 'm' }, body({ model: 'm' }), 0)).toBeUndefined();
    expect(priorityBodies(undefined, Buffer.from('multipart'), 5)).toBeUndefined();
  });

  it('removes the client\'s priority for engines without priority scheduling, and sets it for the others', () => {
    const json = { model: 'm', priority: 4 };
    const raw = body(json);
    const bodyFor = priorityBodies(json, raw, 4)!;
    expect(JSON.parse(bodyFor(engine(false)).toString())).toEqual({ model: 'm' });
    expect(bodyFor(engine(true))).toBe(raw);
    const fromHeader = priorityBodies({ model: 'm' }, body({ model: 'm' }), -2)!;
    expect(JSON.parse(fromHeader(engine(true)).toString())).toEqual({ model: 'm', priority: -2 });
    expect(fromHeader(engine(false)).toString()).toBe('{"model":"m"}');
  });
});
