import type { ServerResponse } from 'node:http';

/**
 * Server-sent events, one `data: <json>\n\n` per chunk. With cutAfter set, the socket is destroyed after that
 * many events (0 = right after the headers) to simulate an engine dying mid-stream. The cut waits for the
 * last event to be flushed, so the client reliably sees exactly cutAfter events and then a broken stream.
 */
export class SseStream {
  private sent = 0;
  private cutting = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly cutAfter: number | null,
    private readonly cut: () => void,
  ) {}

  /** Headers go out immediately, before queueing and prefill, as vLLM's StreamingResponse does. */
  open(): void {
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    this.res.flushHeaders();
    if (this.cutAfter === 0) {
      this.cutting = true;
      setImmediate(this.cut);
    }
  }

  /** False once the stream is gone (cut, or the client left): the caller stops producing. */
  send(data: Record<string, unknown> | '[DONE]'): boolean {
    if (!this.writable) return false;
    const event = `data: ${data === '[DONE]' ? data : JSON.stringify(data)}\n\n`;
    this.sent++;
    if (this.cutAfter !== null && this.sent >= this.cutAfter) {
      this.cutting = true;
      this.res.write(event, () => this.cut());
      return false;
    }
    this.res.write(event);
    return true;
  }

  end(): void {
    if (this.writable) this.res.end();
  }

  private get writable(): boolean {
    return !this.cutting && !this.res.destroyed && !this.res.writableEnded;
  }
}
