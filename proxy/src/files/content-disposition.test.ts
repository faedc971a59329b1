import { describe, expect, it } from '@jest/globals';
import { attachmentDisposition } from './content-disposition.js';

describe('Content-Disposition for downloads (RFC 6266, RFC 8187)', () => {
  it('keeps a plain ASCII name as a quoted filename only', () => {
    expect(attachmentDisposition('batch-output.jsonl')).toBe('attachment; filename="batch-output.jsonl"');
  });

  it('adds filename* with the UTF-8 bytes percent-encoded for names outside ASCII', () => {
    expect(attachmentDisposition('файл.jsonl')).toBe(`attachment; filename="____.jsonl"; filename*=UTF-8''%D1%84%D0%B0%D0%B9%D0%BB.jsonl`);
    expect(attachmentDisposition('🚀')).toBe(`attachment; filename="_"; filename*=UTF-8''%F0%9F%9A%80`);
  });

  it('encodes quotes, backslashes, control characters and non-attr-chars; a lone surrogate becomes U+FFFD', () => {
    expect(attachmentDisposition('a"b\\c\r\n.txt')).toBe(`attachment; filename="a_b_c__.txt"; filename*=UTF-8''a%22b%5Cc%0D%0A.txt`);
    expect(attachmentDisposition("it's (1)*.txt")).toBe(`attachment; filename="it's (1)*.txt"`);
    expect(attachmentDisposition('x\ud800')).toBe(`attachment; filename="x_"; filename*=UTF-8''x%EF%BF%BD`);
  });

  it('gives every name a header value node accepts', () => {
    for (const name of ['\u0000', '\u00e9', '\u4e2d\u6587', 'tab\tname', '']) {
      const value = attachmentDisposition(name);
      expect(value).toMatch(/^[\x20-\x7e]+$/);
    }
  });
});
