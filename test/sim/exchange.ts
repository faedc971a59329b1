import type { IncomingMessage, ServerResponse } from 'node:http';

/** One HTTP request/response as the handlers see it. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  /** performance.now() on arrival; queue wait and TTFT are measured from here. */
  readonly arrivedAt: number;
  /** Aborts when the response closes early: the client left, or the sim cut the connection. */
  readonly signal: AbortSignal;
  /** Destroy the connection on purpose (fault injection); not counted as a client abort. */
  cut(): void;
  /** Stop generating on purpose, leaving the connection as it is (fault injection); not counted as a client abort. */
  halt(): void;
}
