/** One complete server-sent event: its bytes as received, and its `data` field (lines joined by \n). */
export interface SseEvent {
  raw: Buffer;
  /** undefined for events without data lines (comments such as `: ping`, bare `event:` lines). */
  data: string | undefined;
  /** Raw bytes, not a parsed event: an event outgrew the reader's limit, which now passes everything through. */
  oversized?: true;
}

const LF_LF = Buffer.from('\n\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/**
 * Splits an engine's SSE body into complete events, so the router relays whole events only: when the
 * engine dies mid-event, the client never sees half of one. Events end at a blank line (`\n\n` or
 * `\r\n\r\n`). Memory stays bounded: once an unfinished event outgrows `maxEventBytes`, the reader
 * hands out everything as raw `oversized` pieces from then on.
 */
export class SseEventReader {
  private pending: Buffer | undefined;
  private passthrough = false;

  constructor(private readonly maxEventBytes: number) {}

  /** Bytes received after the last complete event (dropped if the stream breaks here). */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  push(chunk: Buffer): SseEvent[] {
    if (this.passthrough) return [{ raw: chunk, data: undefined, oversized: true }];
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = boundaryAfter(buf, start);
      if (end < 0) break;
      const raw = buf.subarray(start, end);
      events.push({ raw, data: dataOf(raw) });
      start = end;
    }
    const rest = buf.length - start;
    if (rest > this.maxEventBytes) {
      this.passthrough = true;
      this.pending = undefined;
      events.push({ raw: buf.subarray(start), data: undefined, oversized: true });
    } else this.pending = rest === 0 ? undefined : Buffer.from(buf.subarray(start));
    return events;
  }
}

/** The index just past the blank line that ends the event starting at `from`, or -1. */
function boundaryAfter(buf: Buffer, from: number): number {
  const lf = buf.indexOf(LF_LF, from);
  // CRLF endings are rare (vLLM, SGLang and OpenAI use LF); look for them only when LF finds nothing earlier.
  const crlf = buf.indexOf(CRLF_CRLF, from);
  if (lf < 0 && crlf < 0) return -1;
  if (crlf < 0 || (lf >= 0 && lf < crlf)) return lf + LF_LF.length;
  return crlf + CRLF_CRLF.length;
}

function dataOf(raw: Buffer): string | undefined {
  const text = raw.toString('utf8');
  let data: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** `data: <payload>` as one event. */
export function sseEvent(payload: string): Buffer {
  return Buffer.from(`data: ${payload}\n\n`);
}

export const DONE_EVENT = sseEvent('[DONE]');
