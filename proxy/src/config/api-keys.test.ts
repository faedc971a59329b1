import { describe, expect, it } from '@jest/globals';
import { mergeApiKeys, parseApiKeysFile, parseApiKeysList } from './api-keys.js';

describe('API key sources', () => {
  it('reads one key per line, skipping blank lines and # comments', () => {
    expect(parseApiKeysFile('# team A\nsk-a\r\n\n  sk-b  # rotated monthly\n#sk-disabled\n')).toEqual(['sk-a', 'sk-b']);
  });

  it('keeps a # that is part of a key', () => {
    expect(parseApiKeysFile('sk#1\n')).toEqual(['sk#1']);
  });

  it('splits the environment variable on commas', () => {
    expect(parseApiKeysList(' sk-1, ,sk-2 ')).toEqual(['sk-1', 'sk-2']);
    expect(parseApiKeysList(undefined)).toEqual([]);
  });

  it('merges sources in order without duplicates', () => {
    expect(mergeApiKeys(['a', 'b'], ['b', 'c'], [], ['a'])).toEqual(['a', 'b', 'c']);
  });
});
