import { describe, expect, it } from '@jest/globals';
import { ambiguousRoleLabels, roleOfLabel } from './roles.js';

describe('engine roles from labels', () => {
  const labels = { prefill: ['llama-prefill', 'prefill'], decode: ['llama-decode'] };

  it('gives prefill or decode to a label either list names', () => {
    expect(roleOfLabel('prefill', labels)).toBe('prefill');
    expect(roleOfLabel('llama-decode', labels)).toBe('decode');
  });

  it('gives no role to an unlisted, empty or missing label (whole values only, no substrings)', () => {
    expect(roleOfLabel('llama', labels)).toBeUndefined();
    expect(roleOfLabel('pre', labels)).toBeUndefined();
    expect(roleOfLabel('', labels)).toBeUndefined();
    expect(roleOfLabel(undefined, labels)).toBeUndefined();
  });

  it('finds values listed under both roles', () => {
    expect(ambiguousRoleLabels({ prefill: ['a', 'b', 'b'], decode: ['b', 'c'] })).toEqual(['b']);
    expect(ambiguousRoleLabels(labels)).toEqual([]);
  });
});
