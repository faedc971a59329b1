import { Counter, Histogram, type Registry } from 'prom-client';
import type { BreakReason } from './break-reason.js';

/**
 * What became of a broken answer (a metric label, bounded):
 * - `completed`: the engine that took over finished the answer;
 * - `failed`: the engine that took over failed too (it may be followed by another migration);
 * - `client_closed`: the client left during the continuation;
 * - `no_engine`: no other engine could take the request;
 * - `exhausted`: --request-migration-attempts were used up;
 * - `unsupported`: the request or the answer so far cannot be continued (n > 1, logprobs, tool calls, ...);
 * - `finished_by_router`: the answer was already complete (every token sent, only the end was missing),
 *   so the router ended the stream itself.
 */
export type MigrationOutcome = 'completed' | 'failed' | 'client_closed' | 'no_engine' | 'exhausted' | 'unsupported' | 'finished_by_router';

/** Request-migration metrics, registered on the proxy's registry beside the others. */
export class MigrationMetrics {
  readonly migrations: Counter<'model' | 'reason' | 'outcome'>;
  readonly pause: Histogram<'model'>;

  constructor(registry: Registry) {
    this.migrations = new Counter({
      name: 'vllm_router_request_migrations_total',
      help: 'Answers that broke off (engine died, stalled, sent an error event, or was drained) by model, reason and outcome of moving them to another engine.',
      labelNames: ['model', 'reason', 'outcome'] as const,
      registers: [registry],
    });
    this.pause = new Histogram({
      name: 'vllm_router_request_migration_pause_seconds',
      help: 'From the break of an answer to the first chunk of its continuation relayed to the client.',
      labelNames: ['model'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  count(model: string, reason: BreakReason, outcome: MigrationOutcome): void {
    this.migrations.inc({ model, reason, outcome });
  }
}
