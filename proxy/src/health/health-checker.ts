import { ownValue, type Logger } from '@vllm-router/common';
import type { HealthView } from '../routing/health-view.js';
import type { ModelType, RoutingTable } from '@vllm-router/common/routing-table';
import { httpProbeSender, type ProbeSender } from './probe-sender.js';
import { probeFor } from './probes.js';

/** The health of one (engine, model) pair, as /engines shows it. */
export interface PairHealth {
  model: string;
  /** The model type checked; absent when the table gives none (the pair is then not checked). */
  type?: ModelType;
  healthy: boolean;
  /** Why it is unhealthy, or why it is not checked. */
  reason?: string;
  /** ISO time of the last check. */
  checked_at?: string;
  consecutive_failures: number;
}

export interface EngineHealth {
  healthy: boolean;
  checks: PairHealth[];
}

export interface HealthCheckerOptions {
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
  send?: ProbeSender;
  backendApiKey?: string;
  now?: () => number;
}

interface Pair {
  engineId: string;
  url: string;
  state: PairHealth;
}

const keyOf = (engineId: string, model: string) => `${engineId}\n${model}`;

/**
 * Static backend health checks (--static-backend-health-checks): every interval, one small real
 * request per (engine, model) of a known model type. A failing pair leaves routing with a warning
 * and comes back when a check passes again. Pairs not yet checked count as healthy.
 */
export class StaticHealthChecker implements HealthView {
  private pairs = new Map<string, Pair>();
  private readonly send: ProbeSender;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly options: HealthCheckerOptions) {
    this.send = options.send ?? httpProbeSender(options.backendApiKey);
    this.now = options.now ?? Date.now;
  }

  isHealthy(engineId: string, model: string): boolean {
    return this.pairs.get(keyOf(engineId, model))?.state.healthy ?? true;
  }

  engineHealth(engineId: string): EngineHealth {
    const checks = [...this.pairs.values()].filter((p) => p.engineId === engineId).map((p) => ({ ...p.state }));
    return { healthy: checks.every((c) => c.healthy), checks };
  }

  /** Follow the table: keep the state of pairs that stay (same URL and type), start new ones healthy. */
  setTable(table: RoutingTable): void {
    const next = new Map<string, Pair>();
    for (const engine of table.engines)
      for (const model of engine.models) {
        const key = keyOf(engine.id, model);
        const type = ownValue(table.modelTypes, model);
        const old = this.pairs.get(key);
        if (old && old.url === engine.url && old.state.type === type) {
          next.set(key, old);
          continue;
        }
        const state: PairHealth = type
          ? { model, type, healthy: true, reason: 'not checked yet', consecutive_failures: 0 }
          : { model, healthy: true, reason: 'no model type given; not checked', consecutive_failures: 0 };
        next.set(key, { engineId: engine.id, url: engine.url, state });
      }
    this.pairs = next;
  }

  /** One round over every pair with a model type, in parallel; concurrent calls share the round. */
  checkAll(): Promise<void> {
    this.round ??= Promise.allSettled([...this.pairs.values()].filter((p) => p.state.type).map((p) => this.check(p))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  start(): void {
    if (this.timer) return;
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(pair: Pair): Promise<void> {
    const { state } = pair;
    let failure: string | undefined;
    try {
      await this.send(pair.url, probeFor(state.type!, state.model), this.options.timeoutMs);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (this.pairs.get(keyOf(pair.engineId, state.model)) !== pair) return; // left the table meanwhile
    const wasHealthy = state.healthy && state.consecutive_failures === 0;
    state.checked_at = new Date(this.now()).toISOString();
    const where = { engine: pair.engineId, model: state.model, type: state.type };
    if (failure === undefined) {
      if (!state.healthy) this.options.logger.info('health check passed again; engine back in routing', where);
      state.healthy = true;
      state.consecutive_failures = 0;
      delete state.reason;
      return;
    }
    state.consecutive_failures++;
    state.reason = failure;
    state.healthy = false;
    if (wasHealthy) this.options.logger.warn('health check failed; engine removed from routing for this model', { ...where, reason: failure });
  }
}
