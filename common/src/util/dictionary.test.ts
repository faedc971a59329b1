import { describe, expect, it } from '@jest/globals';
import { dictionary, dictionaryOf, ownValue } from './dictionary.js';

describe('records keyed by outside input', () => {
  it('a dictionary has no inherited members and keeps "__proto__" as data', () => {
    const d = dictionary<string>();
    expect(d['constructor']).toBeUndefined();
    d['__proto__'] = 'x';
    expect(Object.keys(d)).toEqual(['__proto__']);
    expect(dictionaryOf([['toString', 'y']])['toString']).toBe('y');
  });

  it('ownValue reads only own keys of a plain object', () => {
    const plain: Record<string, string> = { a: '1' };
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) expect(ownValue(plain, name)).toBeUndefined();
    expect(ownValue(plain, 'a')).toBe('1');
  });
});
