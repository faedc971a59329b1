import { describe, expect, it } from '@jest/globals';
import { SseEventReader } from './sse-event-reader.js';

const data = (events: Array<{ data: string | undefined }>) => events.map((e) => e.data);

describe('SseEventReader', () => {
  it('hands out only complete events, however the bytes are split', () => {
    const reader = new SseEventReader(1024);
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    const seen: Array<string | undefined> = [];
    for (let i = 0; i < stream.length; i += 5) seen.push(...data(reader.push(Buffer.from(stream.slice(i, i + 5)))));
    expect(seen).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    expect(reader.pendingBytes).toBe(0);
  });

  it('keeps the raw bytes of each event, and holds back a half event', () => {
    const reader = new SseEventReader(1024);
    const events = reader.push(Buffer.from('data: x\n\ndata: hal'));
    expect(events.map((e) => e.raw.toString())).toEqual(['data: x\n\n']);
    expect(reader.pendingBytes).toBe(9);
  });

  it('reads CRLF endings, comments, several data lines and a missing space after the colon', () => {
    const reader = new SseEventReader(1024);
    const events = reader.push(Buffer.from(': ping\n\nevent: x\ndata:one\ndata: two\r\n\r\ndata: three\n\n'));
    expect(data(events)).toEqual([undefined, 'one\ntwo', 'three']);
  });

  it('does not split a multi-byte character across events', () => {
    const reader = new SseEventReader(1024);
    const bytes = Buffer.from('data: é\n\n');
    expect(data(reader.push(bytes.subarray(0, 7)))).toEqual([]);
    expect(data(reader.push(bytes.subarray(7)))).toEqual(['é']);
  });

  it('finds a blank line split across chunks, LF or CRLF, even one byte at a time', () => {
    for (const stream of ['data: a\n\ndata: b\n\n', 'data: a\r\n\r\ndata: b\r\n\r\n']) {
      const reader = new SseEventReader(1024);
      const seen: Array<string | undefined> = [];
      for (const byte of Buffer.from(stream)) seen.push(...data(reader.push(Buffer.from([byte]))));
      expect(seen).toEqual(['a', 'b']);
    }
  });

  it('passes everything through raw once an unfinished event outgrows the limit', () => {
    const reader = new SseEventReader(16);
    const first = reader.push(Buffer.from(`data: ok\n\ndata: ${'x'.repeat(40)}`));
    expect(first.map((e) => [e.data, e.oversized ?? false])).toEqual([
      ['ok', false],
      [undefined, true],
    ]);
    const later = reader.push(Buffer.from('\n\ndata: y\n\n'));
    expect(later).toEqual([{ raw: Buffer.from('\n\ndata: y\n\n'), data: undefined, oversized: true }]);
  });
});
