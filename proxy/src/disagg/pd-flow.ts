import type { DisaggregatedLogic, EngineEntry } from '@vllm-router/common/routing-table';
import type { UpstreamFailure } from '../forward/upstream-errors.js';
import { errors, ProxyError } from '../http/errors.js';
import { findCandidates } from '../routing/candidates.js';
import type { PickRequest, PolicyContext } from '../routing/policies/policy.js';
import type { EngineSelect, RequestTraceSink, RoutedRequest, RoutingCore, UpstreamExchange } from '../routing/routing-core.js';
import { BufferedBody, readBounded } from './buffered-body.js';
import { pdErrors } from './pd-errors.js';
import { PdMetrics, type PdRole } from './pd-metrics.js';
import { decodeBody, kvTransferParamsOf, prefillBody } from './pd-requests.js';

type Json = Record<string, unknown>;

/** How the flow chooses an engine for each leg (the policy's prefix-aware and load-based picks). */
export interface LegPicks {
  pickPrefill(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry;
  pickDecode(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry;
}

/** A prefill answer holds one token and its KV-transfer metadata (block ids grow with the prompt). */
const PREFILL_ANSWER_LIMIT = 16 * 1024 * 1024;

/**
 * Connect failures after which the request certainly never reached the engine. After any other
 * failure the decode engine may have pulled the prefill's blocks, which NixlConnector then frees,
 * so the same kv_transfer_params must not be sent again.
 */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

const NO_TRACE: RequestTraceSink = { responded: () => undefined, chunk: () => undefined, fail: () => undefined, end: () => undefined };

interface Prefilled {
  engine: EngineEntry;
  /** Orchestrated mode: the prefill answer's kv_transfer_params, untouched. */
  params?: Json;
}

/** The prefill leg ended in an answer the client must get as it is (a 4xx, or the last 5xx). */
class PrefillAnswer {
  constructor(readonly exchange: UpstreamExchange) {}
}

type DecodeAttempt =
  | { ok: true; exchange: UpstreamExchange }
  | { ok: false; engine: EngineEntry; reason: 'decode_unreachable' | 'decode_failed'; error: ProxyError };

interface LegFailure {
  engine: EngineEntry;
  failure: UpstreamFailure;
}

/**
 * One disaggregated request: a prefill leg (the prompt computed on a prefill engine, one token,
 * not streamed) and then a decode leg (the client's request on a decode engine, whose answer is
 * relayed as it streams). Both legs go through the routing core, each a single attempt on an
 * engine of its role, so in-flight counts, request stats, metrics and client aborts work as for
 * any request; the retries between engines are decided here:
 *
 * - prefill: any failure before a usable answer (unreachable, reset, 5xx, a cut body, no
 *   kv_transfer_params in orchestrated mode) tries another prefill engine; a 4xx is the client's
 *   answer. A first-byte timeout is not retried (504), as in the core.
 * - decode: a failure before its head, or a 5xx head, tries another decode engine. LMCache mode
 *   sends the same request again (LMCache lookups do not consume the KV). Orchestrated mode does so
 *   only when the request never reached the engine; otherwise it prefills afresh first, because
 *   NixlConnector frees the prefill's blocks once a decode engine has read them.
 *
 * Each leg tries at most 1 + maxFailoverAttempts engines. No engine of a role: 503, before any work.
 */
export class PdFlow {
  constructor(
    private readonly mode: DisaggregatedLogic,
    private readonly picks: LegPicks,
  ) {}

  /** Undefined when the model has no candidates at all: the core's ordinary path gives that error. */
  start(request: RoutedRequest, core: RoutingCore): Promise<UpstreamExchange> | undefined {
    if (!request.json || remaining(core, request, undefined, NONE_FAILED) === 0) return undefined;
    if (remaining(core, request, 'prefill', NONE_FAILED) === 0) return Promise.reject(pdErrors.noPrefillEngine(request.model, this.mode));
    if (remaining(core, request, 'decode', NONE_FAILED) === 0) return Promise.reject(pdErrors.noDecodeEngine(request.model, this.mode));
    return this.run(request, request.json, core);
  }

  private async run(request: RoutedRequest, json: Json, core: RoutingCore): Promise<UpstreamExchange> {
    const metrics = PdMetrics.for(core.metrics.registry);
    const budget = core.maxFailoverAttempts;
    const failedPrefill = new Set<string>();
    const failedDecode = new Set<string>();
    let prefillRetries = 0;
    let decodeRetries = 0;

    const prefillOnce = async (): Promise<Prefilled | PrefillAnswer> => {
      const outcome = await this.prefill(request, json, core, failedPrefill, metrics);
      prefillRetries += outcome.retries;
      return outcome.result;
    };

    let prefilled = await prefillOnce();
    let lastDecodeError: ProxyError | undefined;
    for (;;) {
      if (prefilled instanceof PrefillAnswer) return prefilled.exchange;
      if (request.signal.aborted) throw errors.clientClosed();
      // A 5xx head is relayed when no other decode engine could take the request.
      const mayRetry = decodeRetries < budget && remaining(core, request, 'decode', failedDecode) > 1;
      const attempt = await this.decode(request, json, core, prefilled, failedDecode, metrics, mayRetry, lastDecodeError);
      if (attempt.ok)
        return { ...attempt.exchange, retries: decodeRetries + prefillRetries, prefill: { engine: prefilled.engine, retries: prefillRetries } };
      lastDecodeError = attempt.error;
      if (decodeRetries >= budget || remaining(core, request, 'decode', failedDecode) === 0) throw attempt.error;
      decodeRetries++;
      metrics.retries.inc({ role: 'decode', reason: attempt.reason });
      core.metrics.upstreamRetries.inc({ server: attempt.engine.url });
      const reprefill = this.mode === 'disaggregated_prefill_orchestrated' && attempt.reason === 'decode_failed';
      if (reprefill) prefilled = await prefillOnce();
    }
  }

  /** The prefill leg, on up to 1 + maxFailoverAttempts prefill engines. */
  private async prefill(
    request: RoutedRequest,
    json: Json,
    core: RoutingCore,
    failed: Set<string>,
    metrics: PdMetrics,
  ): Promise<{ result: Prefilled | PrefillAnswer; retries: number }> {
    const body = prefillBody(json, this.mode);
    const bytes = Buffer.from(JSON.stringify(body));
    // The router reads this answer itself: no compression.
    const headers = { ...request.headers, 'content-type': 'application/json', 'accept-encoding': 'identity' };
    let lastError: ProxyError | undefined;
    for (let attempt = 0; attempt <= core.maxFailoverAttempts; attempt++) {
      if (attempt > 0) metrics.retries.inc({ role: 'prefill', reason: 'prefill_failed' });
      const seen: { failure?: LegFailure } = {};
      const select = this.select('prefill', request.model, failed, () => lastError, seen);
      const started = performance.now();
      let exchange: UpstreamExchange;
      try {
        exchange = await core.send({ ...request, headers, body: bytes, json: body, select, tried: legExclusions(request) });
      } catch (err) {
        const leg = seen.failure;
        if (!leg || !(err instanceof ProxyError) || err.status === 499) throw err;
        metrics.leg(leg.engine.id, leg.engine.url, 'prefill', 'error');
        if (leg.failure.kind === 'first-byte-timeout') throw err;
        lastError = pdErrors.prefillFailed(`${leg.engine.id} could not be reached (${leg.failure.code})`, err);
        if (attempt < core.maxFailoverAttempts) core.metrics.upstreamRetries.inc({ server: leg.engine.url });
        continue;
      }
      const { engine, statusCode } = exchange;
      metrics.leg(engine.id, engine.url, 'prefill', statusCode);
      const read = await this.readAnswer(exchange, request.signal);
      // Another prefill engine left to try? The one that answered is excluded by name: outlier
      // detection may have ejected it by now, so it is no longer among the candidates anyway.
      const last = attempt >= core.maxFailoverAttempts || remaining(core, request, 'prefill', new Set([...failed, engine.id])) === 0;
      if (read.bytes && statusCode >= 400 && (statusCode < 500 || last)) return { result: new PrefillAnswer(buffered(exchange, read.bytes)), retries: attempt };
      if (read.bytes && statusCode < 300) {
        const params = this.mode === 'disaggregated_prefill_orchestrated' ? kvTransferParamsOf(parseJson(read.bytes)) : undefined;
        if (!params || params.ok) {
          metrics.prefillTook(engine.id, engine.url, (performance.now() - started) / 1000);
          return { result: { engine, ...(params ? { params: params.params } : {}) }, retries: attempt };
        }
        lastError = pdErrors.prefillFailed(`${engine.id}: ${params.reason}`);
      } else lastError = pdErrors.prefillFailed(read.bytes ? `${engine.id} answered ${statusCode}` : `${engine.id} cut its answer (${read.error})`);
      failed.add(engine.id);
      if (!last) core.metrics.upstreamRetries.inc({ server: engine.url });
    }
    throw lastError ?? pdErrors.noPrefillEngine(request.model, this.mode);
  }

  /** One decode attempt. A 5xx head counts as a failure while another attempt may follow; the last one is relayed. */
  private async decode(
    request: RoutedRequest,
    json: Json,
    core: RoutingCore,
    prefilled: Prefilled,
    failed: Set<string>,
    metrics: PdMetrics,
    mayRetry: boolean,
    lastError: ProxyError | undefined,
  ): Promise<DecodeAttempt> {
    const body = decodeBody(json, prefilled.params);
    const seen: { failure?: LegFailure } = {};
    const select = this.select('decode', request.model, failed, () => lastError, seen);
    try {
      const exchange = await core.send({ ...request, body: Buffer.from(JSON.stringify(body)), json: body, select, tried: legExclusions(request) });
      metrics.leg(exchange.engine.id, exchange.engine.url, 'decode', exchange.statusCode);
      if (exchange.statusCode < 500 || !mayRetry) return { ok: true, exchange };
      exchange.release();
      failed.add(exchange.engine.id);
      return { ok: false, engine: exchange.engine, reason: 'decode_failed', error: pdErrors.decodeFailed(`${exchange.engine.id} answered ${exchange.statusCode}`) };
    } catch (err) {
      const leg = seen.failure;
      if (!leg || !(err instanceof ProxyError) || err.status === 499) throw err;
      const { engine, failure } = leg;
      metrics.leg(engine.id, engine.url, 'decode', 'error');
      if (failure.kind === 'first-byte-timeout') throw err;
      const reason = failure.kind === 'connect' && NOT_SENT.has(failure.code) ? 'decode_unreachable' : 'decode_failed';
      return { ok: false, engine, reason, error: err };
    }
  }

  /** One leg's engines: those of its role not failed yet, each leg a single attempt. */
  private select(role: PdRole, model: string, failed: Set<string>, exhausted: () => ProxyError | undefined, seen: { failure?: LegFailure }): EngineSelect {
    return {
      accepts: (e) => e.role === role && !failed.has(e.id),
      pick: (r, candidates, context) => (role === 'prefill' ? this.picks.pickPrefill(r, candidates, context) : this.picks.pickDecode(r, candidates, context)),
      none: () => exhausted() ?? (role === 'prefill' ? pdErrors.noPrefillEngine(model, this.mode) : pdErrors.noDecodeEngine(model, this.mode)),
      failed: (engine, failure) => {
        failed.add(engine.id);
        seen.failure = { engine, failure };
        return false;
      },
    };
  }

  /**
   * Reads the prefill answer whole and ends its exchange. The request stats see its first byte
   * (the prefill's time to first token) but not its usage: the client's usage comes from the decode
   * leg, so each request's tokens are counted once.
   */
  private async readAnswer(exchange: UpstreamExchange, signal: AbortSignal): Promise<{ bytes?: Buffer; error?: string }> {
    let first = true;
    try {
      const bytes = await readBounded(exchange.body, PREFILL_ANSWER_LIMIT, (chunk) => {
        if (first && chunk.length > 0) exchange.trace.chunk(chunk.subarray(0, 1));
        first = false;
      });
      return { bytes };
    } catch (err) {
      if (signal.aborted) throw errors.clientClosed(err);
      exchange.trace.fail();
      return { error: err instanceof Error ? err.message : String(err) };
    } finally {
      exchange.release();
    }
  }
}

const NONE_FAILED: ReadonlySet<string> = new Set();

/**
 * Each leg gets its own copy of the engines the request must avoid (those a migrated request left):
 * `send` adds every engine it tries to that set, so a shared one would hide the prefill engine from
 * the next leg's fresh prefill.
 */
function legExclusions(request: RoutedRequest): Set<string> {
  return new Set(request.tried);
}

/** Engines of the role (any role when undefined) that could take the request now, apart from those that failed it. */
function remaining(core: RoutingCore, request: RoutedRequest, role: PdRole | undefined, failed: ReadonlySet<string>): number {
  const snapshot = core.snapshot;
  if (!snapshot) return 0;
  const found = findCandidates(snapshot, request.model, request.needs, core.health, failed);
  return found.ok ? found.engines.filter((e) => role === undefined || e.role === role).length : 0;
}

/** An answer already read, handed to the relay as a body that streams those bytes. */
function buffered(exchange: UpstreamExchange, bytes: Buffer): UpstreamExchange {
  return { ...exchange, body: new BufferedBody(bytes), trace: NO_TRACE, release: () => undefined };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
