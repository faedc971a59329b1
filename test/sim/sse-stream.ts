import type { ServerResponse } from 'node:http';
import type { DeathMode } from './options.js';

/** What the stream does when it dies on purpose. */
export interface StreamDeath {
  afterChunks: number;
  mode: DeathMode;
  /** Destroy the connection (and stop generating). */
  cut(): void;
  /** Stop generating, leaving the connection alone. */
  halt(): void;
}

/** vLLM's mid-stream error event (its ErrorResponse shape), sent before [DONE] when generation fails. */
const ERROR_EVENT = `data: ${JSON.stringify({ error: { message: 'Injected failure (vllm-engine-sim dieAfterChunks).', type: 'InternalServerError', param: null, code: 500 } })}\n\n`;

/**
 * Server-sent events, one `data: <json>\n\n` per chunk. With a death set, the stream dies after that many
 * events (0 = right after the headers) to simulate an engine failing mid-stream: the death waits for the last
 * event to be flushed, so the client reliably sees exactly afterChunks events and then the failure.
 */
export class SseStream {
  private sent = 0;
  private dying = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly death: StreamDeath | null,
  ) {}

  /** Headers go out immediately, before queueing and prefill, as vLLM's StreamingResponse does. */
  open(): void {
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    this.res.flushHeaders();
    if (this.death?.afterChunks === 0) {
      this.dying = true;
      setImmediate(() => this.die());
    }
  }

  /** False once the stream is gone (dead, or the client left): the caller stops producing. */
  send(data: Record<string, unknown> | '[DONE]'): boolean {
    if (!this.writable) return false;
    const event = `data: ${data === '[DONE]' ? data : JSON.stringify(data)}\n\n`;
    this.sent++;
    if (this.death && this.sent >= this.death.afterChunks) {
      this.dying = true;
      this.res.write(event, () => this.die());
      return false;
    }
    this.res.write(event);
    return true;
  }

  end(): void {
    if (this.writable) this.res.end();
  }

  private die(): void {
    const death = this.death!;
    if (death.mode === 'reset') return death.cut();
    death.halt();
    if (this.res.destroyed) return;
    if (death.mode === 'fin') this.res.end();
    else if (death.mode === 'error-event') this.res.end(`${ERROR_EVENT}data: [DONE]\n\n`);
    // 'stall': nothing more is sent; the connection stays open until the client leaves or the sim closes.
  }

  private get writable(): boolean {
    return !this.dying && !this.res.destroyed && !this.res.writableEnded;
  }
}
