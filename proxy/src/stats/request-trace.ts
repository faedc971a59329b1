import type { EngineRequestStats } from './request-stats.js';
import type { Totals } from './time-buckets.js';

const NL_DATA = Buffer.from('\ndata:');
const DATA = Buffer.from('data:');
export const PROMPT_KEY = Buffer.from('"prompt_tokens":');
export const COMPLETION_KEY = Buffer.from('"completion_tokens":');
/** Bytes of the previous chunk kept to find a usage key split across two chunks. */
export const TAIL = 40;
const NEWLINE = 10;
const OPEN_BRACKET = 91;

/**
 * One request to one engine, from send to end. The response body is scanned as it streams past,
 * without parsing JSON and without copying: `Buffer.indexOf` for SSE event starts (for inter-token
 * latency) and for the `usage` token counts, which appear once in a body or in the last SSE events.
 */
export class RequestTrace {
  private status = 0;
  private streamed = false;
  private failed = false;
  private ended = false;
  private firstAt = -1;
  private lastEventAt = -1;
  private events = 0;
  private atLineStart = true;
  private tail: Buffer | undefined;
  private promptTokens = -1;
  private completionTokens = -1;

  constructor(
    private readonly stats: EngineRequestStats,
    private readonly now: () => number,
    readonly startedAt: number,
    /** The model the request was routed for, to count its tokens per model. */
    private readonly model?: string,
  ) {
    stats.inFlight++;
    stats.prefilling++;
    stats.window.add(now(), 'started');
  }

  /** The engine's response headers arrived. */
  responded(status: number, contentType: string | undefined): void {
    this.status = status;
    this.streamed = contentType !== undefined && contentType.includes('text/event-stream');
  }

  /** A piece of the response body passed through the router. */
  chunk(buf: Buffer): void {
    if (buf.length === 0) return;
    const t = this.now();
    if (this.firstAt < 0) {
      this.firstAt = t;
      this.stats.prefilling--;
      this.stats.decoding++;
    }
    if (this.streamed) this.countEvents(buf, t);
    if (this.tail && buf[0] !== NEWLINE && !this.atLineStart) this.readUsage(Buffer.concat([this.tail, buf.subarray(0, TAIL)]));
    this.readUsage(buf);
    this.tail = buf.length >= TAIL ? buf.subarray(buf.length - TAIL) : buf;
    this.atLineStart = buf[buf.length - 1] === NEWLINE;
  }

  /** The engine failed this request (connect error, reset mid-stream); counted as an error. */
  fail(): void {
    this.failed = true;
  }

  /** Idempotent. Folds the request into the engine's window. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const s = this.stats;
    const t = this.now();
    s.inFlight--;
    if (this.firstAt < 0) s.prefilling--;
    else s.decoding--;
    const error = this.failed || this.status >= 500;
    const clientError = !error && this.status >= 400;
    const add: Partial<Totals> = { finished: 1, latencySum: t - this.startedAt };
    if (error) add.errors = 1;
    else if (clientError) add.clientErrors = 1;
    else if (this.firstAt >= 0) {
      add.ttftSum = this.firstAt - this.startedAt;
      add.ttftCount = 1;
    }
    this.addInterTokenLatency(add);
    if (this.promptTokens >= 0) add.promptTokens = this.promptTokens;
    if (this.completionTokens >= 0) {
      add.completionTokens = this.completionTokens;
      add.usageCount = 1;
    }
    s.window.addAll(t, add);
    s.lifetime.finished++;
    if (error) s.lifetime.errors++;
    if (clientError) s.lifetime.clientErrors++;
    s.lifetime.promptTokens += add.promptTokens ?? 0;
    s.lifetime.completionTokens += add.completionTokens ?? 0;
    if (this.model !== undefined && (add.promptTokens || add.completionTokens)) {
      let perModel = s.tokensByModel.get(this.model);
      if (!perModel) s.tokensByModel.set(this.model, (perModel = { promptTokens: 0, completionTokens: 0 }));
      perModel.promptTokens += add.promptTokens ?? 0;
      perModel.completionTokens += add.completionTokens ?? 0;
    }
  }

  /** Decode time over the gaps between tokens: from usage when the stream reported it, else from events. */
  private addInterTokenLatency(add: Partial<Totals>): void {
    if (!this.streamed || this.lastEventAt <= this.firstAt) return;
    const gaps = this.completionTokens > 1 ? this.completionTokens - 1 : this.events - 1;
    if (gaps < 1) return;
    add.itlSum = this.lastEventAt - this.firstAt;
    add.itlCount = gaps;
  }

  private countEvents(buf: Buffer, t: number): void {
    let found = 0;
    if (this.atLineStart && buf.length >= DATA.length && buf.compare(DATA, 0, DATA.length, 0, DATA.length) === 0 && buf[DATA.length + 1] !== OPEN_BRACKET) found++;
    for (let i = buf.indexOf(NL_DATA); i !== -1; i = buf.indexOf(NL_DATA, i + NL_DATA.length)) {
      // `data: [DONE]` ends the stream; it is not a token.
      if (buf[i + NL_DATA.length + 1] !== OPEN_BRACKET) found++;
    }
    if (found > 0) {
      this.events += found;
      this.lastEventAt = t;
    }
  }

  private readUsage(buf: Buffer): void {
    const prompt = readCount(buf, PROMPT_KEY);
    if (prompt >= 0) this.promptTokens = prompt;
    const completion = readCount(buf, COMPLETION_KEY);
    if (completion >= 0) this.completionTokens = completion;
  }
}

/**
 * Token counts above this are an engine's garbage, not usage: no context window comes near a
 * billion tokens, and one such count would sit in the lifetime counters (and /metrics) forever.
 */
export const MAX_USAGE_TOKENS = 1_000_000_000;

/**
 * The integer after the last `key` in buf, or -1: also when the key is followed by null, or by a
 * number above MAX_USAGE_TOKENS (400 digits would otherwise parse to Infinity).
 */
export function readCount(buf: Buffer, key: Buffer): number {
  const at = buf.lastIndexOf(key);
  if (at === -1) return -1;
  let i = at + key.length;
  while (buf[i] === 32) i++;
  let value = -1;
  for (let c = buf[i]; c !== undefined && c >= 48 && c <= 57; c = buf[++i]) {
    value = (value < 0 ? 0 : value * 10) + (c - 48);
    if (value > MAX_USAGE_TOKENS) return -1;
  }
  return value;
}
