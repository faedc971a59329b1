import { clientResponseHeaders } from '../forward/headers.js';
import { errors } from '../http/errors.js';
import type { UpstreamExchange } from '../routing/routing-core.js';
import { breakReasonOf, type BreakReason } from './break-reason.js';
import type { MigrationJob } from './migration-job.js';
import type { PassthroughRelay, RequestMigrator } from './request-migrator.js';
import { outcomeOfSendError } from './upstream-answers.js';

type Collected = { kind: 'complete'; body: Buffer } | { kind: 'relayed'; ok: boolean } | { kind: 'broken'; reason: BreakReason } | { kind: 'client_gone' };

/**
 * A non-streamed answer is held until complete, so that an engine dying after its head or mid-body
 * costs the client nothing: the request goes whole to another engine, and the client gets one clean
 * answer (or, with no attempt left, a 502 instead of a cut connection). An answer larger than
 * `maxBufferedBytes` is relayed as it arrives from then on, as without migration.
 */
export async function relayBufferedAnswer(job: MigrationJob, migrator: RequestMigrator, first: UpstreamExchange, passthrough: PassthroughRelay): Promise<void> {
  const { res, ctx, request } = job;
  let exchange = first;
  for (;;) {
    let collected: Collected;
    try {
      collected = await collect(job, exchange, migrator.maxBufferedBytes);
    } finally {
      exchange.release();
    }
    if (collected.kind === 'complete') {
      job.settle('completed');
      res.writeHead(exchange.statusCode, { ...clientResponseHeaders(exchange.headers, ctx.id), 'content-length': collected.body.length });
      res.end(collected.body);
      return;
    }
    if (collected.kind === 'relayed') return job.settle(collected.ok ? 'completed' : 'failed');
    if (collected.kind === 'client_gone') return job.settle('client_closed');
    job.settle('failed');
    const from = exchange.engine;
    if (!job.begin(collected.reason, from.url)) {
      job.skip(collected.reason, 'exhausted', 'exhausted');
      ctx.notes.errorCode = 'upstream_interrupted';
      throw errors.badGateway(`Engine ${from.id}'s answer broke off (${collected.reason}) and no other attempt is left.`);
    }
    try {
      exchange = await migrator.send(job, job.body, 'retry');
    } catch (err) {
      const outcome = outcomeOfSendError(err, request.signal);
      job.settle(outcome);
      if (outcome !== 'no_engine') throw err;
      ctx.notes.errorCode = 'upstream_interrupted';
      throw errors.badGateway(`Engine ${from.id}'s answer broke off (${collected.reason}) and no other engine can take the request.`);
    }
    if (exchange.statusCode !== 200) {
      job.settle('failed');
      try {
        await passthrough(exchange, res, ctx, request.signal);
      } finally {
        exchange.release();
      }
      return;
    }
  }
}

/** Read the whole body; past `limit` bytes, send the head and relay the rest as it comes. */
function collect(job: MigrationJob, exchange: UpstreamExchange, limit: number): Promise<Collected> {
  const { res, ctx, request } = job;
  return new Promise<Collected>((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let relaying = false;
    const onDrain = () => exchange.body.resume();
    const done = (result: Collected) => {
      res.off('drain', onDrain);
      resolve(result);
    };
    res.on('drain', onDrain);
    exchange.body.pipe({
      data: (chunk) => {
        exchange.trace.chunk(chunk);
        if (relaying) return res.write(chunk);
        parts.push(chunk);
        size += chunk.length;
        if (size <= limit) return true;
        relaying = true;
        res.writeHead(exchange.statusCode, clientResponseHeaders(exchange.headers, ctx.id));
        return res.write(Buffer.concat(parts.splice(0)));
      },
      end: () => {
        if (!relaying) return done({ kind: 'complete', body: parts.length === 1 ? parts[0]! : Buffer.concat(parts) });
        res.end();
        done({ kind: 'relayed', ok: true });
      },
      error: (err) => {
        if (request.signal.aborted) return done({ kind: 'client_gone' });
        exchange.trace.fail(breakReasonOf(err));
        if (!relaying) return done({ kind: 'broken', reason: breakReasonOf(err) });
        ctx.notes.errorCode = 'upstream_interrupted';
        res.destroy(err);
        done({ kind: 'relayed', ok: false });
      },
    });
  });
}
