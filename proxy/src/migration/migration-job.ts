import type { ServerResponse } from 'node:http';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { RequestContext } from '../http/route.js';
import type { RoutedRequest } from '../routing/routing-core.js';
import type { AdmitFirst } from './request-migrator.js';
import type { CompletionKind, Json } from './answer-state.js';
import type { BreakReason } from './break-reason.js';
import { requestBlocker, type RequestBlocker } from './continuation.js';
import type { MigrationMetrics, MigrationOutcome } from './migration-metrics.js';

/**
 * One client request that may move between engines: its original body, the engines it has used
 * (never used again for it), the migrations left, and the bookkeeping of the migration under way
 * (metric, access-log note).
 */
export class MigrationJob {
  readonly tried = new Set<string>();
  readonly blocker: RequestBlocker | undefined;
  readonly includeUsage: boolean;
  /** The first leg's body: the client's, or with the `return_token_ids` the router added (see withTokenIds). */
  firstBody: Json;
  /** The router asked the engines for token ids: they are taken out of what the client gets. */
  tokenIdsAdded = false;
  private attemptsLeft: number;
  private pending: { reason: BreakReason; from: string } | undefined;

  constructor(
    readonly kind: CompletionKind,
    readonly request: RoutedRequest,
    readonly body: Json,
    readonly res: ServerResponse,
    readonly ctx: RequestContext,
    attempts: number,
    private readonly metrics: MigrationMetrics,
    /** Admission control for the first send only (see AdmitFirst). */
    private admission?: AdmitFirst,
  ) {
    this.attemptsLeft = attempts;
    this.firstBody = body;
    this.blocker = requestBlocker(kind, body);
    const options = body.stream_options;
    this.includeUsage = typeof options === 'object' && options !== null && (options as Json).include_usage === true;
  }

  /** Send the first leg (and continuations) with token ids asked for, to continue a break from them. */
  askTokenIds(body: Json): void {
    this.firstBody = body;
    this.tokenIdsAdded = true;
  }

  get model(): string {
    return this.request.model;
  }

  /** The admission step, once: the first send goes through it, every later one straight to the core. */
  takeAdmission(): AdmitFirst | undefined {
    const admission = this.admission;
    this.admission = undefined;
    return admission;
  }

  get hasAttemptsLeft(): boolean {
    return this.attemptsLeft > 0;
  }

  get migrating(): boolean {
    return this.pending !== undefined;
  }

  /** Start moving the request off `from`; false when no attempt is left. */
  begin(reason: BreakReason, from: string): boolean {
    if (this.attemptsLeft <= 0) return false;
    this.attemptsLeft--;
    this.pending = { reason, from };
    return true;
  }

  /** The engine taking over answered; the access line names it. */
  arrived(engine: EngineEntry): void {
    if (!this.pending) return;
    (this.ctx.notes.migrations ??= []).push({ from: this.pending.from, to: engine.url, reason: this.pending.reason });
  }

  /** The migration under way ended this way (no-op when none is). */
  settle(outcome: MigrationOutcome): void {
    if (!this.pending) return;
    this.metrics.count(this.model, this.pending.reason, outcome);
    this.pending = undefined;
  }

  /** A break that is not migrated; `detail` (why) goes on the access line. */
  skip(reason: BreakReason, outcome: MigrationOutcome, detail?: string): void {
    this.metrics.count(this.model, reason, outcome);
    if (detail !== undefined) this.ctx.notes.notMigrated = detail;
  }
}
