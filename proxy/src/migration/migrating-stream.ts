import type { EngineEntry } from '@vllm-router/common/routing-table';
import { clientResponseHeaders } from '../forward/headers.js';
import type { UpstreamExchange } from '../routing/routing-core.js';
import { AnswerState, isErrorEvent, isRecord, type Json } from './answer-state.js';
import { breakReasonOf, type BreakReason } from './break-reason.js';
import { chatChunkFromText, rewriteChunk, withoutTokenIds } from './chunk-rewriter.js';
import { chatTokenContinuation, completionsPathFor, continuationBody, tokenContinuationBody, tokensLeft } from './continuation.js';
import type { MigrationJob } from './migration-job.js';
import type { MigrationOutcome } from './migration-metrics.js';
import type { RequestMigrator } from './request-migrator.js';
import { isEventStream, outcomeOfSendError } from './upstream-answers.js';
import { DONE_EVENT, SseEventReader, sseEvent, type SseEvent } from './sse-event-reader.js';

/**
 * The longest SSE event parsed (a chat chunk is a few hundred bytes; with top logprobs a few KB). A
 * longer one is relayed raw from then on, and that answer is no longer migrated.
 */
const MAX_EVENT_BYTES = 1024 * 1024;

type LegEnd = { kind: 'finished' } | { kind: 'client_gone' } | { kind: 'broken'; reason: BreakReason; errorEvent?: Buffer };
type Broken = Extract<LegEnd, { kind: 'broken' }>;

/** What to do with a broken answer. */
type Plan =
  /** `asText`: a chat continued from token ids goes to /v1/completions; its chunks become chat chunks. */
  | { kind: 'continue'; body: Json; asText?: boolean }
  | { kind: 'finish' }
  | { kind: 'skip'; outcome: Extract<MigrationOutcome, 'unsupported' | 'exhausted'>; detail: string };

interface EventStep {
  write?: Buffer;
  end?: LegEnd;
}

/**
 * One streamed answer relayed to the client across however many engines it takes: whole SSE events
 * only; the first engine's events byte for byte; when its answer breaks off, the text so far becomes
 * a continuation request to another engine, whose chunks are rewritten (id, created, no second role
 * chunk, whole-answer usage) into the same client stream, ending with exactly one [DONE].
 */
export class MigratingStream {
  private readonly answer: AnswerState;
  private brokeAt: number | undefined;
  /** The current leg is a chat continued on /v1/completions. */
  private legAsText = false;

  constructor(
    private readonly job: MigrationJob,
    private readonly migrator: RequestMigrator,
  ) {
    this.answer = new AnswerState(job.kind);
  }

  async run(first: UpstreamExchange): Promise<void> {
    const { res, ctx } = this.job;
    const head = clientResponseHeaders(first.headers, ctx.id);
    // The answer may grow past what the first engine announced.
    delete head['content-length'];
    res.writeHead(first.statusCode, head);
    res.flushHeaders();
    ctx.notes.streamed = true;
    let exchange: UpstreamExchange | undefined = first;
    let leg = 0;
    while (exchange) {
      const end = await this.pump(exchange, leg);
      if (end.kind === 'broken' && end.reason !== 'drain') exchange.trace.fail(end.reason);
      exchange.release();
      if (end.kind === 'finished') return this.job.settle('completed');
      if (end.kind === 'client_gone') return this.job.settle('client_closed');
      this.job.settle('failed');
      this.brokeAt = performance.now();
      exchange = await this.takeOver(exchange.engine, end);
      leg++;
    }
  }

  /** Relay one engine's events until its answer ends, breaks, or the client leaves. */
  private pump(exchange: UpstreamExchange, leg: number): Promise<LegEnd> {
    const { res, request } = this.job;
    const reader = new SseEventReader(MAX_EVENT_BYTES);
    return new Promise<LegEnd>((resolve) => {
      let settled = false;
      let drained = false;
      const untrack = this.migrator.drains.track(exchange.engine.id, () => {
        drained = true;
        exchange.body.abort(new Error('engine drained: moving the stream to another engine'));
      });
      const onDrain = () => exchange.body.resume();
      const onClose = () => {
        if (!this.answer.doneSent) settle({ kind: 'client_gone' });
      };
      const settle = (end: LegEnd) => {
        if (settled) return;
        settled = true;
        untrack();
        res.off('drain', onDrain);
        res.off('close', onClose);
        resolve(end);
      };
      res.on('drain', onDrain);
      res.once('close', onClose);
      const flush = (out: Buffer[]): boolean => {
        if (out.length === 0 || res.destroyed || res.writableEnded) return true;
        const ok = res.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        if (this.answer.doneSent) res.end();
        return ok;
      };
      exchange.body.pipe({
        data: (chunk) => {
          if (settled || this.answer.doneSent) return true;
          exchange.trace.chunk(chunk);
          const out: Buffer[] = [];
          for (const event of reader.push(chunk)) {
            const step = this.onEvent(event, leg);
            if (step.write) out.push(step.write);
            if (step.end) {
              flush(out);
              settle(step.end);
              return true;
            }
            if (this.answer.doneSent) break;
          }
          return flush(out);
        },
        end: () => settle(this.answer.doneSent ? { kind: 'finished' } : { kind: 'broken', reason: 'incomplete' }),
        error: (err) => {
          if (this.answer.doneSent) settle({ kind: 'finished' });
          else if (request.signal.aborted) settle({ kind: 'client_gone' });
          else settle({ kind: 'broken', reason: drained ? 'drain' : breakReasonOf(err) });
        },
      });
    });
  }

  private onEvent(event: SseEvent, leg: number): EventStep {
    if (event.oversized || event.data === undefined) {
      if (event.oversized) this.answer.block('unparsed_event');
      return { write: event.raw };
    }
    if (event.data === '[DONE]') {
      this.answer.doneSent = true;
      return { write: leg === 0 ? event.raw : DONE_EVENT };
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      chunk = undefined;
    }
    if (!isRecord(chunk)) {
      this.answer.block('unparsed_event');
      return { write: event.raw };
    }
    if (isErrorEvent(chunk)) {
      const plan = this.plan();
      if (plan.kind !== 'skip') return { end: { kind: 'broken', reason: 'error_event', errorEvent: event.raw } };
      // Not migrated: the client gets the engine's error event and [DONE], as without migration.
      this.job.skip('error_event', plan.outcome, plan.detail);
      this.job.ctx.notes.errorCode = 'upstream_error_event';
      return { write: event.raw };
    }
    if (leg === 0) {
      this.answer.observe(chunk);
      return { write: this.job.tokenIdsAdded ? sseEvent(JSON.stringify(withoutTokenIds(chunk))) : event.raw };
    }
    const legChunk = this.legAsText ? chatChunkFromText(chunk) : chunk;
    const roleSent = this.answer.roleSent;
    this.answer.observe(legChunk);
    const out = rewriteChunk(legChunk, {
      kind: this.job.kind,
      header: this.answer.header,
      roleSent,
      tokensBefore: this.answer.tokensBeforeCurrentLeg,
      promptTokens: this.answer.promptTokens,
    });
    if (!out) return {};
    this.notePause();
    return { write: sseEvent(JSON.stringify(this.job.tokenIdsAdded ? withoutTokenIds(out) : out)) };
  }

  private plan(): Plan {
    const a = this.answer;
    if (a.finishReason !== undefined) return { kind: 'finish' };
    const blocker = a.blocked ?? (a.contentSent || this.job.blocker === 'n' ? this.job.blocker : undefined);
    if (blocker) return { kind: 'skip', outcome: 'unsupported', detail: blocker };
    const left = a.contentSent ? tokensLeft(this.job.body, a.tokens) : undefined;
    if (left !== undefined && left <= 0) return { kind: 'finish' };
    if (!this.job.hasAttemptsLeft) return { kind: 'skip', outcome: 'exhausted', detail: 'exhausted' };
    const tokenPrompt = a.contentSent && this.job.tokenIdsAdded ? a.tokenPrompt : undefined;
    if (tokenPrompt && this.job.kind === 'chat') return { kind: 'continue', body: chatTokenContinuation(this.job.firstBody, tokenPrompt, a.tokens), asText: true };
    const body = tokenPrompt
      ? tokenContinuationBody(this.job.firstBody, tokenPrompt, a.tokens)
      : continuationBody(this.job.kind, this.job.firstBody, a.text, a.contentSent ? a.tokens : 0);
    return { kind: 'continue', body };
  }

  /** Find an engine to continue on; undefined when the client stream has been ended instead. */
  private async takeOver(from: EngineEntry, end: Broken): Promise<UpstreamExchange | undefined> {
    let failed = from;
    // After a failed attempt for this same break, running out of attempts is not counted a second time.
    let attempted = false;
    for (;;) {
      const plan = this.plan();
      if (plan.kind === 'finish') {
        this.job.skip(end.reason, 'finished_by_router');
        this.finishLocally();
        return undefined;
      }
      if (plan.kind === 'skip' || !this.job.begin(end.reason, failed.url)) {
        const skip = plan.kind === 'skip' ? plan : { outcome: 'exhausted' as const, detail: 'exhausted' };
        if (attempted) this.job.ctx.notes.notMigrated = skip.detail;
        else this.job.skip(end.reason, skip.outcome, skip.detail);
        this.giveUp(end);
        return undefined;
      }
      attempted = true;
      let exchange: UpstreamExchange;
      try {
        exchange = await this.migrator.send(this.job, plan.body, 'continuation', plan.asText ? completionsPathFor(this.job.request.path) : undefined);
      } catch (err) {
        const outcome = outcomeOfSendError(err, this.job.request.signal);
        this.job.settle(outcome);
        if (outcome === 'failed') continue; // the engines it tried are excluded now; the next plan may find another
        if (outcome !== 'client_closed') this.giveUp(end);
        return undefined;
      }
      if (exchange.statusCode === 200 && isEventStream(exchange.headers['content-type'])) {
        this.answer.beginLeg();
        this.legAsText = plan.asText === true;
        return exchange;
      }
      // The engine refused the continuation (an error status): try the next one, if any is left.
      exchange.release();
      this.job.settle('failed');
      failed = exchange.engine;
    }
  }

  /** Every token was sent and only the end is missing: end the answer as the engine would have. */
  private finishLocally(): void {
    const { res, kind } = this.job;
    const a = this.answer;
    if (res.destroyed || res.writableEnded) return;
    const envelope = { id: a.header?.id, object: a.header?.object, created: a.header?.created, model: a.header?.model };
    const out: Buffer[] = [];
    if (a.finishReason === undefined) {
      const choice = kind === 'chat' ? { index: 0, delta: {}, logprobs: null, finish_reason: 'length' } : { index: 0, text: '', logprobs: null, finish_reason: 'length' };
      out.push(sseEvent(JSON.stringify({ ...envelope, choices: [choice] })));
    }
    if (this.job.includeUsage && !a.usageSent && a.promptTokens !== undefined) {
      const usage = { prompt_tokens: a.promptTokens, completion_tokens: a.tokens, total_tokens: a.promptTokens + a.tokens };
      out.push(sseEvent(JSON.stringify({ ...envelope, choices: [], usage })));
    }
    out.push(DONE_EVENT);
    a.doneSent = true;
    res.end(Buffer.concat(out));
  }

  /** Not migrated: the stream ends as it would without migration. */
  private giveUp(end: Broken): void {
    const { res, ctx } = this.job;
    if (res.destroyed || res.writableEnded) return;
    if (end.errorEvent) {
      ctx.notes.errorCode = 'upstream_error_event';
      res.end(Buffer.concat([end.errorEvent, DONE_EVENT]));
      return;
    }
    ctx.notes.errorCode = 'upstream_interrupted';
    // The engine ended its response early: so does the client's; a broken connection breaks the client's.
    if (end.reason === 'incomplete') res.end();
    else res.destroy();
  }

  private notePause(): void {
    if (this.brokeAt === undefined) return;
    this.migrator.metrics.pause.observe({ model: this.job.model }, (performance.now() - this.brokeAt) / 1000);
    this.brokeAt = undefined;
  }
}
