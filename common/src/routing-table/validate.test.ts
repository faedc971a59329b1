import { describe, expect, it } from '@jest/globals';
import { finalizeTable, validateRoutingTable, formatIssues, computeRevision, type RoutingTableDraft } from './index.js';

const draft = (): RoutingTableDraft => ({
  source: 'static',
  routingLogic: 'roundrobin',
  engines: [
    { id: 'e1', url: 'http://127.0.0.2:8000', models: ['m1'], backendKind: 'vllm', labels: {}, ready: true },
    { id: 'e2', url: 'http://127.0.0.3:8000', models: ['m1', 'm2'], backendKind: 'sglang', labels: { zone: 'a' }, ready: true },
  ],
  aliases: { gpt4: 'm2' },
  modelTypes: { m1: 'chat' },
});

describe('routing table validator', () => {
  it('refuses Object.prototype names as prefix settings (a number there used to pass)', () => {
    const result = validateRoutingTable(JSON.parse(JSON.stringify({ ...finalizeTable(draft()), prefix: { constructor: 5, toString: 1 } })));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(['prefix.constructor', 'prefix.toString']);
  });

  it('an alias named "__proto__" counts in the revision like any other', () => {
    const plain = computeRevision(draft());
    const withProto = computeRevision(JSON.parse('{"source":"static","routingLogic":"roundrobin","engines":[],"aliases":{"__proto__":"m2"},"modelTypes":{}}'));
    const without = computeRevision({ source: 'static', routingLogic: 'roundrobin', engines: [], aliases: {}, modelTypes: {} });
    expect(withProto).not.toBe(without);
    expect(plain).not.toBe(without);
  });

  it('accepts a finalized table unchanged', () => {
    const table = finalizeTable(draft());
    const result = validateRoutingTable(JSON.parse(JSON.stringify(table)));
    expect(result).toEqual({ ok: true, table });
  });

  it('derives the revision when a hand-written table omits it', () => {
    const { revision, ...rest } = finalizeTable(draft());
    const result = validateRoutingTable(rest);
    expect(result.ok && result.table.revision).toBe(revision);
  });

  it('gives the same revision for the same content in any key order', () => {
    const a = draft();
    const b: RoutingTableDraft = { modelTypes: a.modelTypes, aliases: a.aliases, engines: a.engines, routingLogic: a.routingLogic, source: a.source };
    expect(computeRevision(a)).toBe(computeRevision(b));
    expect(computeRevision({ ...a, routingLogic: 'session', sessionKey: 'x' })).not.toBe(computeRevision(a));
  });

  it('reports every problem with its field, value and reason', () => {
    const bad = {
      ...finalizeTable(draft()),
      version: 2,
      routingLogic: 'random',
      engines: [
        { id: 'e1', url: 'ftp://x', models: ['m1'], backendKind: 'vllm', labels: {}, ready: true },
        { id: 'e1', url: 'http://127.0.0.3:8000', models: [''], backendKind: 'nope', labels: { a: 1 }, ready: 'yes' },
      ],
      aliases: { m1: 'm2' },
      modelTypes: { m1: 'poetry' },
      prefix: { blockChars: 0, unknownSetting: 1 },
    };
    const result = validateRoutingTable(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'version',
        'routingLogic',
        'engines[0].url',
        'engines[1].id',
        'engines[1].models',
        'engines[1].backendKind',
        'engines[1].labels',
        'engines[1].ready',
        'aliases.m1',
        'modelTypes.m1',
        'prefix.blockChars',
        'prefix.unknownSetting',
      ]),
    );
    expect(formatIssues(result.issues)).toContain('routingLogic: "random" must be one of roundrobin');
  });

  it('requires a session key for session routing', () => {
    const result = validateRoutingTable(finalizeTable({ ...draft(), routingLogic: 'session' }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]).toMatchObject({ path: 'sessionKey' });
  });

  it('carries an engine role, which changes the revision, and refuses a role it does not know', () => {
    const roles = draft();
    roles.routingLogic = 'disaggregated_prefill_orchestrated';
    roles.engines[0]!.role = 'prefill';
    roles.engines[1]!.role = 'decode';
    const table = finalizeTable(roles);
    expect(validateRoutingTable(JSON.parse(JSON.stringify(table)))).toEqual({ ok: true, table });
    expect(computeRevision(roles)).not.toBe(computeRevision({ ...roles, engines: [roles.engines[0]!, { ...roles.engines[1]!, role: 'prefill' }] }));
    const bad = { ...table, engines: [{ ...table.engines[0], role: 'both' }] };
    const result = validateRoutingTable(bad);
    expect(!result.ok && result.issues).toEqual([{ path: 'engines[0].role', value: 'both', reason: 'must be one of prefill, decode when present' }]);
  });

  it('takes priorityScheduling per engine as a boolean, or refuses it', () => {
    const good = draft();
    good.engines[0]!.priorityScheduling = true;
    expect(validateRoutingTable(finalizeTable(good)).ok).toBe(true);
    const bad = { ...finalizeTable(draft()), engines: [{ ...draft().engines[0], priorityScheduling: 'yes' }] };
    expect(validateRoutingTable(bad)).toMatchObject({ ok: false, issues: [{ path: 'engines[0].priorityScheduling', value: 'yes' }] });
  });

  it('refuses a value that is not an object', () => {
    expect(validateRoutingTable('[]')).toMatchObject({ ok: false, issues: [{ path: '' }] });
    expect(validateRoutingTable(null).ok).toBe(false);
  });
});
