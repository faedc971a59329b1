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
/** Bytes of a boundary that can sit in the previous chunk (all of `\r\n\r\n` but its last byte). */
const SEAM = CRLF_CRLF.length - 1;

/**
 * Splits an engine's SSE body into complete events, so the router relays whole events only: when the
 * engine dies mid-event, the client never sees half of one. Events end at a blank line (`\n\n` or
 * `\r\n\r\n`). Each byte is scanned once and an event is joined once, however it was split. Memory
 * stays bounded: once an unfinished event outgrows `maxEventBytes`, the reader hands out everything as
 * raw `oversized` pieces from then on.
 */
export class SseEventReader {
  private parts: Buffer[] = [];
  private pendingLength = 0;
  private passthrough = false;

  constructor(private readonly maxEventBytes: number) {}

  /** Bytes received after the last complete event (dropped if the stream breaks here). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): SseEvent[] {
    if (this.passthrough) return [{ raw: chunk, data: undefined, oversized: true }];
    const events: SseEvent[] = [];
    let start = 0;
    if (this.pendingLength > 0) {
      const end = this.seamBoundary(chunk) ?? boundaryAfter(chunk, 0);
      if (end < 0) return this.hold(chunk, events);
      events.push(event(Buffer.concat([...this.parts, chunk.subarray(0, end)])));
      this.parts = [];
      this.pendingLength = 0;
      start = end;
    }
    for (;;) {
      const end = boundaryAfter(chunk, start);
      if (end < 0) break;
      events.push(event(chunk.subarray(start, end)));
      start = end;
    }
    return start < chunk.length ? this.hold(Buffer.from(chunk.subarray(start)), events) : events;
  }

  private hold(rest: Buffer, events: SseEvent[]): SseEvent[] {
    this.parts.push(rest);
    this.pendingLength += rest.length;
    if (this.pendingLength <= this.maxEventBytes) return events;
    this.passthrough = true;
    for (const part of this.parts) events.push({ raw: part, data: undefined, oversized: true });
    this.parts = [];
    this.pendingLength = 0;
    return events;
  }

  /** A boundary that starts in the held bytes and ends in `chunk`: its end in `chunk`, or undefined. */
  private seamBoundary(chunk: Buffer): number | undefined {
    const tail: Buffer[] = [];
    let need = SEAM;
    for (let i = this.parts.length - 1; i >= 0 && need > 0; i--) {
      const part = this.parts[i]!;
      const take = part.subarray(Math.max(0, part.length - need));
      tail.unshift(take);
      need -= take.length;
    }
    const tailLength = SEAM - need;
    const seam = Buffer.concat([...tail, chunk.subarray(0, SEAM)]);
    const end = boundaryAfter(seam, 0);
    return end > tailLength ? end - tailLength : undefined;
  }
}

function event(raw: Buffer): SseEvent {
  return { raw, data: dataOf(raw) };
}

/** The index just past the blank line that ends the event starting at `from`, or -1. */
function boundaryAfter(buf: Buffer, from: number): number {
  const lf = buf.indexOf(LF_LF, from);
  // CRLF endings are rare (vLLM, SGLang and OpenAI use LF), but an event must end at its first blank line.
  const crlf = buf.indexOf(CRLF_CRLF, from);
  if (lf < 0 && crlf < 0) return -1;
  if (crlf < 0 || (lf >= 0 && lf < crlf)) return lf + LF_LF.length;
  return crlf + CRLF_CRLF.length;
}

const DATA_SPACE = Buffer.from('data: ');

function dataOf(raw: Buffer): string | undefined {
  // The usual event, `data: <json>\n\n` on one line, without splitting lines.
  if (raw.indexOf(10) === raw.length - 2 && raw.subarray(0, DATA_SPACE.length).equals(DATA_SPACE)) return raw.toString('utf8', DATA_SPACE.length, raw.length - 2);
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
