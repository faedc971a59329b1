import type { BodySink, UpstreamBody } from '../forward/upstream-call.js';

/** An engine answer the router already read whole, relayed to the client as if it were streaming in. */
export class BufferedBody implements UpstreamBody {
  private aborted = false;

  constructor(private readonly bytes: Buffer) {}

  pipe(sink: BodySink): void {
    // Next tick, as a live body would deliver: the caller finishes wiring its sink first.
    queueMicrotask(() => {
      if (this.aborted) return;
      if (this.bytes.length > 0) sink.data(this.bytes);
      sink.end();
    });
  }

  resume(): void {}

  abort(): void {
    this.aborted = true;
  }
}

/**
 * Reads an answer whole, refusing more than `limit` bytes (a prefill answer is one token and its
 * KV-transfer metadata; anything larger is not one).
 */
export function readBounded(body: UpstreamBody, limit: number, onChunk?: (chunk: Buffer) => void): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    body.pipe({
      data: (chunk) => {
        onChunk?.(chunk);
        size += chunk.length;
        if (size > limit) {
          body.abort(new Error(`answer larger than ${limit} bytes`));
          return true;
        }
        parts.push(chunk);
        return true;
      },
      end: () => (size > limit ? reject(new Error(`answer larger than ${limit} bytes`)) : resolve(Buffer.concat(parts))),
      error: reject,
    });
  });
}
