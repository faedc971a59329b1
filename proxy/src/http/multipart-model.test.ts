import { describe, expect, it } from '@jest/globals';
import { readMultipartField, replaceMultipartField } from './multipart-model.js';

const boundary = '----form123';
const contentType = `multipart/form-data; boundary=${boundary}`;
const body = Buffer.from(
  [
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="a.wav"',
    'Content-Type: audio/wav',
    '',
    'RIFF....binary model="decoy"',
    `--${boundary}`,
    'Content-Disposition: form-data; name="model"',
    '',
    'whisper-alias',
    `--${boundary}`,
    'Content-Disposition: form-data; name="language"',
    '',
    'en',
    `--${boundary}--`,
    '',
  ].join('\r\n'),
);

describe('multipart model field', () => {
  it('reads the model field and ignores file parts', () => {
    expect(readMultipartField(body, contentType, 'model')).toBe('whisper-alias');
    expect(readMultipartField(body, contentType, 'language')).toBe('en');
    expect(readMultipartField(body, contentType, 'missing')).toBeUndefined();
  });

  it('rewrites only the model value, leaving every other byte as it was', () => {
    const rewritten = replaceMultipartField(body, contentType, 'model', 'openai/whisper-large-v3');
    expect(readMultipartField(rewritten, contentType, 'model')).toBe('openai/whisper-large-v3');
    expect(rewritten.toString()).toContain('RIFF....binary model="decoy"');
    expect(rewritten.length).toBe(body.length - 'whisper-alias'.length + 'openai/whisper-large-v3'.length);
  });

  it('finds nothing without a boundary', () => {
    expect(readMultipartField(body, 'multipart/form-data', 'model')).toBeUndefined();
  });
});
