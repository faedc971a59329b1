import { COMPLETION_KEY, PROMPT_KEY, TAIL, readCount } from '../stats/request-trace.js';

/**
 * The `usage` token counts of one answer, read from its body as it streams past (JSON or SSE),
 * without parsing it: the same scan request statistics use, for the tenant's token account.
 */
export class UsageScanner {
  promptTokens = -1;
  completionTokens = -1;
  private tail: Buffer | undefined;

  chunk(buf: Buffer): void {
    if (buf.length === 0) return;
    if (this.tail) this.read(Buffer.concat([this.tail, buf.subarray(0, TAIL)]));
    this.read(buf);
    this.tail = buf.length >= TAIL ? buf.subarray(buf.length - TAIL) : buf;
  }

  /** Prompt plus completion tokens, or undefined when the answer reported no usage. */
  get total(): number | undefined {
    if (this.promptTokens < 0 && this.completionTokens < 0) return undefined;
    return Math.max(0, this.promptTokens) + Math.max(0, this.completionTokens);
  }

  private read(buf: Buffer): void {
    const prompt = readCount(buf, PROMPT_KEY);
    if (prompt >= 0) this.promptTokens = prompt;
    const completion = readCount(buf, COMPLETION_KEY);
    if (completion >= 0) this.completionTokens = completion;
  }
}
