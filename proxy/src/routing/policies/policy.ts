import type { IncomingHttpHeaders } from 'node:http';
import type { EngineEntry, RoutingLogic } from '@vllm-router/common/routing-table';
import type { LoadTracker } from '../load-tracker.js';
import type { RoutedRequest, RoutingCore, UpstreamExchange } from '../routing-core.js';
import type { RoutingSnapshot } from '../snapshot.js';

/** What a policy may look at when it picks an engine for one request. */
export interface PickRequest {
  /** The real model (alias already resolved). */
  model: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined for multipart bodies. */
  body: Record<string, unknown> | undefined;
}

/** Load signals read from an engine's own /metrics (see proxy/src/stats). */
export interface EngineSignals {
  running: number;
  waiting: number;
  /** KV-cache blocks held by running requests, 0..1. */
  kvUsage: number;
  /** KV-cache capacity in tokens (block size x blocks), when the engine publishes it. */
  kvCapacityTokens?: number;
}

export interface EngineSignalView {
  /** Fresh signals for the engine, or undefined when unknown or stale. */
  signals(engineId: string): EngineSignals | undefined;
}

export interface PolicyContext {
  snapshot: RoutingSnapshot;
  load: LoadTracker;
  /** Scraped engine metrics, when the stats scraper runs. */
  signals?: EngineSignalView;
}

/** How a request the policy routed ended. */
export interface RequestOutcome {
  /** False when the engine could not be reached or failed the request. */
  ok: boolean;
}

/**
 * One routing policy. `candidates` is never empty: the healthy, ready, capable engines for the model
 * were filtered once before any policy runs. The optional hooks let a policy keep its own state
 * without special cases in the routing core.
 */
export interface RoutingPolicy {
  readonly name: RoutingLogic;
  pick(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry;
  /**
   * The engine this request has affinity for among `candidates` (never empty), without side effects:
   * admission control lets such a request wait a bounded time for it before it spills elsewhere.
   * Policies without affinity leave it out.
   */
  preferredEngine?(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry | undefined;
  /** Called once when a request sent to the engine `pick` chose has ended. */
  onRequestEnd?(request: PickRequest, engine: EngineEntry, outcome: RequestOutcome): void;
  /** A new routing table is in force with these engines; forget state about the others. */
  retainEngines?(engineIds: ReadonlySet<string>): void;
  /**
   * Takes over a request that needs more than one engine (disaggregated prefill: a prefill engine,
   * then a decode engine), sending each leg back through the core; undefined leaves the request to
   * the core's ordinary path with `pick`.
   */
  orchestrate?(request: RoutedRequest, core: RoutingCore): Promise<UpstreamExchange> | undefined;
  /** What the last pick for `request` was based on, for traces (e.g. the prefix match). */
  explain?(request: PickRequest, engine: EngineEntry): Readonly<Record<string, number | string>> | undefined;
}
