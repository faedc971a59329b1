import type { ServerResponse } from 'node:http';
import type { BackendKind, EngineEntry, RoutingTable } from '@vllm-router/common/routing-table';
import type { RequestContext } from '../http/route.js';
import type { ModelEndpoint } from '../routing/endpoints.js';
import type { RoutedRequest, RoutingCore, UpstreamExchange } from '../routing/routing-core.js';
import type { CompletionKind, Json } from './answer-state.js';
import { relayBufferedAnswer } from './buffered-answer.js';
import { DrainWatch } from './drain-watch.js';
import { withTokenIds } from './continuation.js';
import { MigratingStream } from './migrating-stream.js';
import { MigrationJob } from './migration-job.js';
import type { MigrationMetrics } from './migration-metrics.js';
import { isEventStream, isFirstByteTimeout, isJson, outcomeOfSendError } from './upstream-answers.js';

/** How model-route relays an answer untouched (passed in, so this module does not import the handler). */
export type PassthroughRelay = (exchange: UpstreamExchange, res: ServerResponse, ctx: RequestContext, signal: AbortSignal) => Promise<void>;

/**
 * Admission control around the request's first send: it waits for its turn, hands `send` the request
 * with its engine gate set, and resolves with the engine's exchange. Later legs (retries,
 * continuations) keep that gate and go straight to the routing core.
 */
export type AdmitFirst = (send: (request: RoutedRequest) => Promise<UpstreamExchange>) => Promise<UpstreamExchange>;

export interface RequestMigratorOptions {
  core: RoutingCore;
  metrics: MigrationMetrics;
  /** --request-migration-attempts: moves per request after its engine failed; 0 turns migration off. */
  attempts: number;
  /** --request-migration-drain-grace-seconds, in ms. */
  drainGraceMs: number;
  /** Largest non-streamed answer held back so that it can be retried whole; a larger one is relayed as it comes. */
  maxBufferedBytes: number;
}

const ENDPOINT_KINDS = new Map<string, CompletionKind>([
  ['/v1/chat/completions', 'chat'],
  ['/v1/completions', 'text'],
]);

/** Engines that continue a final assistant message (`continue_final_message`): vLLM and SGLang. */
const CHAT_CONTINUATION_KINDS: ReadonlySet<BackendKind> = new Set<BackendKind>(['vllm', 'sglang']);

/**
 * Request migration for /v1/chat/completions and /v1/completions: a streamed answer whose engine dies,
 * stalls, sends an error event or is drained continues on another engine in the same client stream;
 * a non-streamed answer that breaks after the head is fetched again whole from another engine; an
 * engine that sends no first byte in time is replaced too. Bounded by `attempts` per request.
 */
export class RequestMigrator {
  readonly drains: DrainWatch;

  constructor(private readonly options: RequestMigratorOptions) {
    this.drains = new DrainWatch({ graceMs: options.drainGraceMs });
  }

  get metrics(): MigrationMetrics {
    return this.options.metrics;
  }

  get maxBufferedBytes(): number {
    return this.options.maxBufferedBytes;
  }

  /** Whether this request goes through migration (a pinned `?id=` request stays on its engine). */
  covers(endpoint: ModelEndpoint, request: Pick<RoutedRequest, 'json' | 'pinnedEngineId'>): boolean {
    return this.options.attempts > 0 && ENDPOINT_KINDS.has(endpoint.path) && request.json !== undefined && request.pinnedEngineId === undefined;
  }

  /** A new routing table is in force: engines gone from it (or not ready) start their drain grace period. */
  routingChanged(table: RoutingTable): void {
    this.drains.setRoutable(new Set(table.engines.filter((e) => e.ready).map((e) => e.id)));
  }

  async forward(request: RoutedRequest, res: ServerResponse, ctx: RequestContext, passthrough: PassthroughRelay, admit?: AdmitFirst): Promise<void> {
    const kind = ENDPOINT_KINDS.get(request.path.split('?')[0]!) ?? 'chat';
    const job = new MigrationJob(kind, request, request.json ?? {}, res, ctx, this.options.attempts, this.options.metrics, admit);
    const withIds = job.blocker === undefined && this.onlyVllmServes(job.model) ? withTokenIds(kind, job.body) : undefined;
    if (withIds) job.askTokenIds(withIds);
    const exchange = await this.openFirst(job);
    ctx.notes.engine = exchange.engine.url;
    if (exchange.prefill) ctx.notes.prefillEngine = exchange.prefill.engine.url;
    ctx.notes.retries = exchange.retries;
    if (exchange.statusCode === 200 && isEventStream(exchange.headers['content-type'])) return new MigratingStream(job, this).run(exchange);
    if (exchange.statusCode === 200 && isJson(exchange.headers['content-type'])) return relayBufferedAnswer(job, this, exchange, passthrough);
    job.settle(exchange.statusCode < 500 ? 'completed' : 'failed');
    try {
      await passthrough(exchange, res, ctx, request.signal);
    } finally {
      exchange.release();
    }
  }

  /** The first engine; one that sends no first byte in time is replaced (a migration with nothing sent yet). */
  private async openFirst(job: MigrationJob): Promise<UpstreamExchange> {
    let timedOut: unknown;
    for (;;) {
      try {
        return await this.send(job, job.firstBody, job.migrating ? 'retry' : 'first');
      } catch (err) {
        const outcome = outcomeOfSendError(err, job.request.signal);
        job.settle(outcome);
        // No other engine to try: the client hears about the timeout, not about the empty pool.
        if (timedOut !== undefined && outcome === 'no_engine') throw timedOut;
        if (!isFirstByteTimeout(err) || job.request.signal.aborted) throw err;
        timedOut = err;
        if (!job.begin('timeout', this.lastTriedUrl(job))) {
          job.skip('timeout', 'exhausted', 'exhausted');
          throw err;
        }
      }
    }
  }

  /**
   * Send one leg of the request through the routing core (so the policy sees this leg's body: a
   * prefix-aware pick sees the longer prompt), never to an engine the request already used. A chat
   * continuation goes only to engines that can continue an assistant message; one from token ids goes
   * to `path` (/v1/completions).
   */
  async send(job: MigrationJob, body: Json, leg: 'first' | 'retry' | 'continuation', path?: string): Promise<UpstreamExchange> {
    const excluded = leg === 'continuation' && job.kind === 'chat' ? this.enginesUnableToContinue(job) : [];
    for (const id of excluded) job.tried.add(id);
    try {
      const routed: RoutedRequest = {
        ...job.request,
        ...(path ? { path } : {}),
        body: body === job.body ? job.request.body : Buffer.from(JSON.stringify(body)),
        json: body,
        tried: job.tried,
        // Request statistics time this leg from when it was sent, not from the client's arrival.
        ...(leg === 'first' ? {} : { receivedAt: performance.now() }),
      };
      const admit = leg === 'first' ? job.takeAdmission() : undefined;
      const exchange = admit
        ? await admit((admitted) => this.options.core.send({ ...routed, ...(admitted.gate ? { gate: admitted.gate } : {}) }))
        : await this.options.core.send(routed);
      job.arrived(exchange.engine);
      return exchange;
    } finally {
      for (const id of excluded) job.tried.delete(id);
    }
  }

  /** Token ids are asked for only where every engine of the model is a vLLM (others may refuse the field). */
  private onlyVllmServes(model: string): boolean {
    const engines: readonly EngineEntry[] = this.options.core.snapshot?.enginesServing(model) ?? [];
    return engines.length > 0 && engines.every((e) => e.backendKind === 'vllm');
  }

  private enginesUnableToContinue(job: MigrationJob): string[] {
    const engines: readonly EngineEntry[] = this.options.core.snapshot?.enginesServing(job.model) ?? [];
    return engines.filter((e) => !CHAT_CONTINUATION_KINDS.has(e.backendKind) && !job.tried.has(e.id)).map((e) => e.id);
  }

  private lastTriedUrl(job: MigrationJob): string {
    const id = [...job.tried].at(-1) ?? 'unknown';
    return this.options.core.snapshot?.engines.get(id)?.url ?? id;
  }
}
