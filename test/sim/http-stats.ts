import type { IncomingHttpHeaders } from 'node:http';
import { pushBounded } from './bounded-list.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, the raw text when it was not JSON, or undefined when empty. */
  body: unknown;
}

export interface InjectedFailures {
  errors: number;
  hangs: number;
  /** Connections destroyed on purpose: before the response or mid-stream. */
  resets: number;
  /** Answers ended on purpose without a reset: `fin`, `error-event` and `stall` deaths. */
  deaths: number;
}

export interface HttpStatsSnapshot {
  /** Requests received, by URL path. */
  requests: Record<string, number>;
  totalRequests: number;
  /** Requests whose client disconnected before the sim finished answering. */
  aborted: number;
  inFlight: number;
  /** The most recent requests, oldest first (at most RECORDED_REQUESTS_LIMIT). */
  lastRequests: RecordedRequest[];
  injected: InjectedFailures;
}

export const RECORDED_REQUESTS_LIMIT = 50;

/** HTTP-level bookkeeping, separate from the serving model's counters. */
export class HttpStats {
  private readonly requests: Record<string, number> = {};
  private total = 0;
  private aborted = 0;
  private inFlight = 0;
  private readonly recorded: RecordedRequest[] = [];
  readonly injected: InjectedFailures = { errors: 0, hangs: 0, resets: 0, deaths: 0 };

  begin(path: string): void {
    this.requests[path] = (this.requests[path] ?? 0) + 1;
    this.total++;
    this.inFlight++;
  }

  end(clientAborted: boolean): void {
    this.inFlight--;
    if (clientAborted) this.aborted++;
  }

  record(request: RecordedRequest): void {
    pushBounded(this.recorded, request, RECORDED_REQUESTS_LIMIT);
  }

  snapshot(): HttpStatsSnapshot {
    return {
      requests: { ...this.requests },
      totalRequests: this.total,
      aborted: this.aborted,
      inFlight: this.inFlight,
      lastRequests: [...this.recorded],
      injected: { ...this.injected },
    };
  }
}
