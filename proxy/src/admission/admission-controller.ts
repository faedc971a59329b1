import type { IncomingHttpHeaders } from 'node:http';
import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { AdmissionOptions } from '../config/admission-settings.js';
import { errors } from '../http/errors.js';
import { findCandidates } from '../routing/candidates.js';
import type { EngineGate } from '../routing/engine-gate.js';
import type { HealthView } from '../routing/health-view.js';
import type { PickRequest } from '../routing/policies/policy.js';
import type { UpstreamExchange } from '../routing/routing-core.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import { admissionErrors } from './admission-errors.js';
import { priorityLabel, type AdmissionMetrics, type RejectReason } from './admission-metrics.js';
import { EngineRoom, type EngineLoadSignal, type RoomStatus } from './engine-room.js';
import type { QueueKey } from './fair-queue.js';
import { ModelQueue, type AdmissionRequest, type Dispatch, type Waiter } from './model-queue.js';
import { RateLimiter, rateLimitHeaders } from './rate-limiter.js';
import { TenantResolver, estimatePromptTokens, priorityOf } from './request-identity.js';
import { TenantLedger } from './tenant-ledger.js';
import { UsageScanner } from './usage-scanner.js';

/** What admission needs from the routing core (RoutingCore has all of it). */
export interface AdmissionCore {
  readonly snapshot: RoutingSnapshot | undefined;
  readonly health: HealthView;
  preferredEngine(pick: PickRequest, candidates: readonly EngineEntry[]): EngineEntry | undefined;
}

export interface AdmissionDeps {
  core: AdmissionCore;
  metrics: AdmissionMetrics;
  /** Client keys: with keys, the tenant is the key. */
  apiKeys: readonly string[];
  /** Fresh scraped signals per engine, for --max-engine-waiting and --max-engine-kv-usage. */
  signals?: (engineId: string) => EngineLoadSignal | undefined;
  /** Monotonic ms (queue waits, timers); default performance.now. */
  now?: () => number;
  /** Wall-clock ms for rate-limit buckets; default Date.now. */
  wallNow?: () => number;
  /** While requests wait on scraped signals or affinity, how often the queue looks again. */
  recheckMs?: number;
}

/** A request that got its turn: the engine's exchange (its release also settles the tenant's tokens). */
export interface Admitted {
  exchange: UpstreamExchange;
  /** x-ratelimit-* headers for the client. */
  headers: Record<string, string>;
  queuedMs: number;
}

/** What the router knows about a request before it asks for a turn. */
export interface RequestIdentity {
  priority: number;
  tenant: string;
  estimatedTokens: number;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * One scan of a queue in admission order: candidates looked up once by the capabilities requests
 * need, and whether a request has already been held for its preferred engine in this scan.
 */
interface Scan {
  candidates: Map<string, { live: readonly EngineEntry[]; withRoom: readonly EngineEntry[] } | 'unroutable'>;
  headHeld: boolean;
  /** The waiter held for its preferred engine in this scan (while another engine has room). */
  held?: Waiter;
}

const newScan = (): Scan => ({ candidates: new Map(), headHeld: false });

/**
 * Overload control in front of the routing core: per-tenant rate limits, then a queue per model
 * that admits requests by class, priority and tenant fair share whenever an engine has room
 * (concurrency limit and engine saturation signals, see EngineRoom). The routing policy then picks
 * among the engines with room (EngineGate). A request that can't be queued, or waits too long, gets
 * 429 with Retry-After at once; one whose client leaves is dropped from the queue; shutdown answers
 * every waiting request with 503. With no limits configured it adds nothing but the priority field
 * handling (see priority-body.ts).
 */
export class AdmissionController {
  readonly room: EngineRoom;
  readonly limiter: RateLimiter;
  readonly tenants: TenantResolver;
  readonly ledger: TenantLedger;
  private readonly queues = new Map<string, ModelQueue>();
  private readonly weights: ReadonlyMap<string, number>;
  private readonly now: () => number;
  private readonly recheckMs: number;
  private readonly trackUsage: boolean;
  private closed = false;

  constructor(
    readonly settings: AdmissionOptions,
    private readonly deps: AdmissionDeps,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.recheckMs = deps.recheckMs ?? 50;
    this.room = new EngineRoom(
      { maxConcurrencyPerEngine: settings.maxConcurrencyPerEngine, ...optional('maxEngineWaiting', settings.maxEngineWaiting), ...optional('maxEngineKvUsage', settings.maxEngineKvUsage) },
      deps.signals,
    );
    this.limiter = new RateLimiter({ rpm: settings.rateLimitRpm, tpm: settings.rateLimitTpm }, deps.wallNow);
    this.tenants = new TenantResolver(deps.apiKeys, settings.tenantHeader);
    this.weights = new Map(Object.entries(settings.tenantWeights));
    this.ledger = new TenantLedger(deps.metrics, this.weights);
    this.trackUsage = settings.rateLimitTpm > 0 || this.tenants.distinguishes;
  }

  /** True when requests can wait in the queue (some room limit is set). */
  get queueing(): boolean {
    return this.room.limited;
  }

  /** Priority (400 if malformed), tenant, and the prompt's estimated tokens, from the client's request. */
  identify(headers: IncomingHttpHeaders, json: Record<string, unknown> | undefined, bodyBytes: number): RequestIdentity {
    const s = this.settings;
    return {
      priority: priorityOf(headers, json, { header: s.priorityHeader, field: s.priorityField, default: s.priorityDefault }),
      tenant: this.tenants.tenantOf(headers),
      estimatedTokens: s.rateLimitTpm > 0 ? estimatePromptTokens(json, bodyBytes) : 0,
    };
  }

  /**
   * Rate-limit, wait for a turn, then `dispatch` through the routing core with the gate. Rejects with
   * a ProxyError: 429 (rate limit, queue full, queue timeout), 499 (client left while queued), 503
   * (shutting down); whatever the core throws passes through.
   */
  async send(request: AdmissionRequest, dispatch: Dispatch): Promise<Admitted> {
    if (this.closed) throw admissionErrors.shuttingDown();
    if (request.signal.aborted) throw errors.clientClosed();
    const interactive = request.trafficClass === 'interactive';
    let headers: Record<string, string> = {};
    if (interactive && this.limiter.enabled) {
      const decision = this.limiter.take(request.tenant, request.estimatedTokens);
      headers = rateLimitHeaders(decision);
      if (!decision.ok) {
        this.count(request, decision.reason);
        throw admissionErrors.rateLimited(decision.reason, decision.message, decision.retryAfterMs, headers);
      }
    }
    let sent = false;
    const counted: Dispatch = (gate) => {
      sent = true;
      return dispatch(gate);
    };
    try {
      const { exchange, queuedMs } = this.queueing ? await this.takeTurn(request, counted) : { exchange: await this.direct(request, counted), queuedMs: 0 };
      return { exchange: this.settleOnRelease(request, exchange), headers, queuedMs };
    } catch (err) {
      // Never sent to an engine: the tenant gets its allowance back.
      if (!sent && interactive && this.limiter.enabled) this.limiter.refund(request.tenant, request.estimatedTokens);
      throw err;
    }
  }

  /** A new routing table: forget engines that left, and look again (engines may have come). */
  tableChanged(engineIds: ReadonlySet<string>): void {
    this.room.retain(engineIds);
    for (const q of this.queues.values()) this.pump(q);
  }

  /** Answer every waiting request with 503 and take no more. */
  shutdown(): void {
    this.closed = true;
    for (const q of this.queues.values()) {
      if (q.recheck) clearTimeout(q.recheck);
      for (const item of q.waiting.drain()) this.refuse(item.value, 'shutting_down', admissionErrors.shuttingDown());
    }
  }

  /** Queue depth per model and priority label, for the gauge and /stats. */
  depths(): Array<{ model: string; priority: string; size: number }> {
    const out: Array<{ model: string; priority: string; size: number }> = [];
    for (const q of this.queues.values())
      for (const d of q.waiting.depths()) out.push({ model: q.model, priority: priorityLabel(this.deps.metrics.priorities, d.trafficClass, d.priority), size: d.size });
    return out;
  }

  get metricsPriorities(): AdmissionMetrics['priorities'] {
    return this.deps.metrics.priorities;
  }

  queuesOf(): ReadonlyMap<string, ModelQueue> {
    return this.queues;
  }

  engineStatus(engineId: string): RoomStatus {
    return this.room.status(engineId);
  }

  /** No room limits: straight through, counted as admitted (no queue wait to observe: nothing can wait). */
  private direct(request: AdmissionRequest, dispatch: Dispatch): Promise<UpstreamExchange> {
    this.queueFor(request.model).counts.admitted++;
    this.deps.metrics.admittedChild(request.model, 'immediate').inc();
    this.ledger.admitted(request.tenant);
    return dispatch(undefined);
  }

  private takeTurn(request: AdmissionRequest, dispatch: Dispatch): Promise<{ exchange: UpstreamExchange; queuedMs: number }> {
    return new Promise((resolve, reject) => {
      const q = this.queueFor(request.model);
      const waiter: Waiter = { request, dispatch, enqueuedAt: this.now(), resolve, reject };
      if (q.waiting.size === 0 && !q.unplaced && this.eligible(waiter, newScan())) {
        this.grant(q, waiter);
        return;
      }
      if (!this.enqueue(q, waiter)) return;
      this.pump(q);
    });
  }

  /** Put a waiter in line, pushing out a less deserving one when full; false when it was refused instead. */
  private enqueue(q: ModelQueue, waiter: Waiter): boolean {
    const { request } = waiter;
    const key: QueueKey = {
      trafficClass: request.trafficClass,
      priority: request.priority,
      tenant: request.tenant,
      weight: this.weights.get(request.tenant) ?? 1,
    };
    const interactive = request.trafficClass === 'interactive';
    // Batch lines are bounded by --batch-concurrency: they never fill the queue or time out.
    if (interactive && q.waiting.sizeOf('interactive') >= this.settings.queueMaxSize) {
      const worst = q.waiting.worstInteractive();
      const full = () => admissionErrors.queueFull(request.model, this.settings.queueMaxSize, q.retryAfterMs(this.now(), this.timeoutMs));
      if (!worst || !q.waiting.wouldPrecede(key, worst)) {
        this.refuse(waiter, 'queue_full', full());
        return false;
      }
      this.leave(q, worst.value);
      this.refuse(worst.value, 'queue_full', full());
    }
    waiter.item = q.waiting.push(key, waiter);
    if (interactive) {
      waiter.timer = setTimeout(() => {
        this.leave(q, waiter);
        this.refuse(waiter, 'queue_timeout', admissionErrors.queueTimeout(request.model, this.now() - waiter.enqueuedAt, q.retryAfterMs(this.now(), this.timeoutMs)));
      }, this.timeoutMs);
      waiter.timer.unref?.();
    }
    waiter.onAbort = () => {
      this.leave(q, waiter);
      this.refuse(waiter, 'client_closed', errors.clientClosed());
    };
    request.signal.addEventListener('abort', waiter.onAbort, { once: true });
    return true;
  }

  private get timeoutMs(): number {
    return this.settings.queueTimeoutSeconds * 1000;
  }

  /** Take a waiter out of line (timer and abort listener too); it has not been answered yet. */
  private leave(q: ModelQueue, waiter: Waiter): void {
    if (waiter.item) q.waiting.remove(waiter.item);
    this.detach(waiter);
  }

  private detach(waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.request.signal.removeEventListener('abort', waiter.onAbort);
    waiter.timer = undefined;
    waiter.onAbort = undefined;
  }

  private refuse(waiter: Waiter, reason: RejectReason, err: unknown): void {
    this.detach(waiter);
    this.count(waiter.request, reason);
    waiter.reject(err);
  }

  /** Admit waiters in order while their engines have room. Re-entrant calls run once more afterwards. */
  private pump(q: ModelQueue): void {
    if (q.pumping) {
      q.again = true;
      return;
    }
    q.pumping = true;
    let held: Waiter | undefined;
    try {
      do {
        q.again = false;
        while (!q.unplaced && !this.closed) {
          let next: Waiter | undefined;
          const scan = newScan();
          held = undefined;
          for (const item of q.waiting.ordered())
            if (this.eligible(item.value, scan)) {
              next = item.value;
              break;
            }
          if (!next) {
            held = scan.held;
            break;
          }
          q.waiting.take(next.item!);
          this.grant(q, next);
        }
      } while (q.again);
    } finally {
      q.pumping = false;
    }
    this.scheduleRecheck(q, held);
  }

  /**
   * Whether the waiter may go now: an engine it can use has room. A pinned request waits for its
   * engine. When the model has no usable engine at all, it goes, and the routing core answers with
   * the reason. A request whose session or prefix prefers a full engine while another has room is
   * held for its engine up to --affinity-max-wait-ms, and the free engine goes to the next request
   * in line instead. Only the first request held in a scan (the head of the line) starts that clock:
   * the ones behind it are not kept from an engine yet (they would not have been admitted anyway),
   * so a long queue does not use up their waits before their turn comes.
   */
  private eligible(waiter: Waiter, scan: Scan): boolean {
    const { request } = waiter;
    const snapshot = this.deps.core.snapshot;
    if (!snapshot) return true;
    if (request.pinnedEngineId !== undefined) {
      const pinned = snapshot.engines.get(request.pinnedEngineId);
      return !pinned || !pinned.models.includes(request.model) || this.room.hasRoom(pinned.id);
    }
    // Within one scan of the queue nothing changes until a grant, so waiters with the same needs share the lookup.
    const needsKey = request.needs.join(',');
    let seen = scan.candidates.get(needsKey);
    if (!seen) {
      const found = findCandidates(snapshot, request.model, request.needs, this.deps.core.health, NONE);
      seen = found.ok ? { live: found.engines, withRoom: found.engines.filter((e) => this.room.hasRoom(e.id)) } : 'unroutable';
      scan.candidates.set(needsKey, seen);
    }
    if (seen === 'unroutable') return true;
    const { live, withRoom } = seen;
    if (withRoom.length === 0) return false;
    const wait = this.settings.affinityMaxWaitMs;
    // Asked once, when it first matters: some engine is full.
    if (waiter.affinity === undefined && (wait <= 0 || withRoom.length < live.length)) waiter.affinity = this.preferredOf(waiter, live);
    const affinity = waiter.affinity;
    if (!affinity || !live.some((e) => e.id === affinity.engineId) || withRoom.some((e) => e.id === affinity.engineId)) return true;
    // Its engine is full and another has room.
    if (affinity.since === undefined) {
      if (scan.headHeld) return false;
      affinity.since = this.now();
    } else if (this.now() - affinity.since >= wait) return true;
    scan.headHeld = true;
    scan.held = waiter;
    return false;
  }

  /** The engine the request's session or cached prefix prefers, or null (also with the wait off). */
  private preferredOf(waiter: Waiter, live: readonly EngineEntry[]): Waiter['affinity'] {
    if (this.settings.affinityMaxWaitMs <= 0) return null;
    const preferred = this.deps.core.preferredEngine(waiter.request.pick, live);
    return preferred ? { engineId: preferred.id } : null;
  }

  /** Send the waiter on with a gate; until the core places it on an engine, nothing else of the model is granted. */
  private grant(q: ModelQueue, waiter: Waiter): void {
    this.detach(waiter);
    const now = this.now();
    const queuedMs = now - waiter.enqueuedAt;
    q.noteGrant(now, queuedMs, waiter.item !== undefined);
    this.countAdmitted(waiter.request, queuedMs, waiter.item ? 'queued' : 'immediate');
    let placed = false;
    const gate: EngineGate = {
      admits: (engine) => this.room.hasRoom(engine.id),
      acquire: (engine) => {
        if (!placed && waiter.affinity?.since !== undefined)
          this.deps.metrics.affinity.inc({ model: waiter.request.model, outcome: engine.id === waiter.affinity.engineId ? 'preferred' : 'spilled' });
        placed = true;
        if (q.unplaced === waiter) {
          q.unplaced = undefined;
          queueMicrotask(() => this.pump(q));
        }
        const end = this.room.acquire(engine.id);
        return () => {
          end();
          this.freed(engine);
        };
      },
    };
    const sent = waiter.dispatch(gate);
    if (!placed) {
      q.unplaced = waiter;
      const settle = () => {
        if (q.unplaced !== waiter) return;
        q.unplaced = undefined;
        this.pump(q);
      };
      sent.then(settle, settle);
    }
    sent.then((exchange) => waiter.resolve({ exchange, queuedMs }), waiter.reject);
  }

  /**
   * An engine's slot came free: the models it serves may admit their next waiter, once the code
   * that released it (the routing core's bookkeeping, a failover in progress) has run on.
   */
  private freed(engine: EngineEntry): void {
    queueMicrotask(() => {
      for (const model of engine.models) {
        const q = this.queues.get(model);
        if (q && q.waiting.size > 0) this.pump(q);
      }
    });
  }

  /**
   * Waiters held back by scraped signals or an affinity deadline need a look without a slot coming
   * free. `held` is the waiter the last scan held for its preferred engine: if its deadline passed
   * since that scan (a stall between the scan and here), it is looked at again at once; without
   * that, nothing would wake it while no slot frees.
   */
  private scheduleRecheck(q: ModelQueue, held?: Waiter): void {
    if (q.recheck || q.waiting.size === 0 || this.closed) return;
    const signals = this.settings.maxEngineWaiting !== undefined || this.settings.maxEngineKvUsage !== undefined;
    let due = signals ? this.recheckMs : Infinity;
    const now = this.now();
    const wait = this.settings.affinityMaxWaitMs;
    if (wait > 0)
      for (const item of q.waiting.ordered()) {
        const since = item.value.affinity?.since;
        if (since === undefined) continue;
        if (since + wait > now) due = Math.min(due, since + wait - now + 1);
        else if (item.value === held) due = Math.min(due, 1);
      }
    if (due === Infinity) return;
    q.recheck = setTimeout(() => {
      q.recheck = undefined;
      this.pump(q);
    }, due);
    q.recheck.unref?.();
  }

  /** Usage from the answer settles the tenant's tokens when the exchange is released. */
  private settleOnRelease(request: AdmissionRequest, exchange: UpstreamExchange): UpstreamExchange {
    if (!this.trackUsage) return exchange;
    const usage = new UsageScanner();
    const inner = exchange.trace;
    let settled = false;
    return {
      ...exchange,
      trace: {
        responded: (status, contentType) => inner.responded(status, contentType),
        chunk: (buf) => {
          usage.chunk(buf);
          inner.chunk(buf);
        },
        fail: () => inner.fail(),
        end: () => inner.end(),
      },
      release: () => {
        exchange.release();
        if (settled) return;
        settled = true;
        const actual = usage.total;
        if (actual !== undefined && request.trafficClass === 'interactive') this.limiter.settle(request.tenant, request.estimatedTokens, actual);
        this.ledger.usage(request.tenant, Math.max(0, usage.promptTokens), Math.max(0, usage.completionTokens));
      },
    };
  }

  private countAdmitted(request: AdmissionRequest, queuedMs: number, path: 'immediate' | 'queued'): void {
    const m = this.deps.metrics;
    m.admittedChild(request.model, path).inc();
    m.waitChild(request.model, priorityLabel(m.priorities, request.trafficClass, request.priority)).observe(queuedMs / 1000);
    this.ledger.admitted(request.tenant);
  }

  private count(request: AdmissionRequest, reason: RejectReason): void {
    this.queueFor(request.model).noteRejected(reason);
    this.deps.metrics.rejected.inc({ model: request.model, reason });
    this.ledger.rejected(request.tenant, reason);
  }

  private queueFor(model: string): ModelQueue {
    let q = this.queues.get(model);
    if (!q) this.queues.set(model, (q = new ModelQueue(model)));
    return q;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
