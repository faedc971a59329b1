import { describe, expect, it } from '@jest/globals';
import { selectorMatches, selectorString } from './label-selector.js';

describe('label selectors', () => {
  const selector = {
    matchLabels: { app: 'engine' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['gpu', 'tpu'] },
      { key: 'canary', operator: 'DoesNotExist' },
    ],
  };

  it('match when every label and expression holds', () => {
    expect(selectorMatches(selector, { app: 'engine', tier: 'gpu' })).toBe(true);
    expect(selectorMatches(selector, { app: 'engine', tier: 'cpu' })).toBe(false);
    expect(selectorMatches(selector, { app: 'engine', tier: 'gpu', canary: 'yes' })).toBe(false);
    expect(selectorMatches(selector, { tier: 'gpu' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] }, {})).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { x: '' })).toBe(true);
  });

  it('never select everything when empty', () => {
    expect(selectorMatches({}, { app: 'engine' })).toBe(false);
  });

  it('print in the API query syntax', () => {
    expect(selectorString(selector)).toBe('app=engine,tier in (gpu,tpu),!canary');
  });
});
