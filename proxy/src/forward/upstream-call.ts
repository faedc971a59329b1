import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** The engine's response status and headers (names lower-case; repeated headers as arrays). */
export interface UpstreamHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

/** Where an engine's response body goes. `data` returning false pauses the engine until `resume()`. */
export interface BodySink {
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

/** The body of an answered call: piped once to a sink, paused and resumed by it, or cut. */
export interface UpstreamBody {
  pipe(sink: BodySink): void;
  resume(): void;
  abort(reason: Error): void;
}

/**
 * One request to one engine through undici's dispatch-handler API: a promise for the response head,
 * then the body delivered to one sink with backpressure. Chunks that arrive before the sink is
 * attached (a small answer arrives with its head) are held until `pipe`, which callers do at once.
 *
 * Why not undici's `request()`: its per-response Readable and handler objects were promoted to old
 * space en masse at a steady 1,000 req/s (13-22 ms scavenges, old space climbing until each
 * Mark-Compact); with this handler the per-request garbage dies young (bench/proxy-overhead).
 */
export class UpstreamCall implements Dispatcher.DispatchHandler, UpstreamBody {
  readonly head: Promise<UpstreamHead>;
  private resolveHead!: (head: UpstreamHead) => void;
  private rejectHead!: (err: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private headArrived = false;
  private sink: BodySink | undefined;
  private held: Buffer[] | undefined;
  /** How the body finished before a sink was attached. */
  private outcome: 'ended' | Error | undefined;
  private abortReason: Error | undefined;
  /** The body ended or failed: aborting now must not touch the (reusable) connection. */
  private finished = false;

  constructor(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions) {
    this.head = new Promise<UpstreamHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    try {
      dispatcher.dispatch(options, this);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.headArrived = true;
    this.resolveHead({ statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.sink) (this.held ??= []).push(chunk);
    else if (!this.sink.data(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.finished = true;
    if (this.sink) this.sink.end();
    else this.outcome = 'ended';
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  pipe(sink: BodySink): void {
    if (this.sink) throw new Error('the upstream body is already piped');
    this.sink = sink;
    const held = this.held;
    this.held = undefined;
    let flowing = true;
    // Held chunks are already in memory: hand them all over, then pause if the sink is full.
    if (held) for (const chunk of held) flowing = sink.data(chunk) && flowing;
    if (this.outcome === 'ended') sink.end();
    else if (this.outcome) sink.error(this.outcome);
    else if (!flowing) this.controller?.pause();
  }

  resume(): void {
    if (this.controller?.paused) this.controller.resume();
  }

  /** Cuts the call: before the head, `head` rejects with `reason`; after it, the sink gets `error`. */
  abort(reason: Error): void {
    if (this.finished || this.abortReason) return;
    this.abortReason = reason;
    if (this.controller && !this.controller.aborted) this.controller.abort(reason);
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.headArrived) {
      this.headArrived = true;
      this.rejectHead(err);
    } else if (this.sink) this.sink.error(err);
    else this.outcome = err;
  }
}

/** Reads a whole answered body (for router-originated requests such as batch lines). */
export function readWholeBody(body: UpstreamBody): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    body.pipe({
      data: (chunk) => parts.push(chunk) > 0,
      end: () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts)),
      error: reject,
    });
  });
}
