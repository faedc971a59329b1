import type { IncomingHttpHeaders } from 'node:http';
import type { EngineEntry, RoutingLogic } from '../../routing-table/index.js';
import type { LoadTracker } from '../load-tracker.js';
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

export interface PolicyContext {
  snapshot: RoutingSnapshot;
  load: LoadTracker;
}

/**
 * One routing policy. `candidates` is never empty: the healthy, ready, capable engines for the model
 * were filtered once before any policy runs.
 */
export interface RoutingPolicy {
  readonly name: RoutingLogic;
  pick(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry;
}
