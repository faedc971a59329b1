import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { OutlierDetector } from '../health/outlier-detector.js';
import type { HealthView } from './health-view.js';
import type { SleepState } from './sleep-state.js';

/** The static health checker, as far as routing needs it. */
export interface PairHealthView extends HealthView {
  engineHealth(engineId: string): { checks: Array<{ model: string; healthy: boolean; reason?: string }> };
}

/**
 * Whether routing sends traffic to an engine now, and why not: the table's readiness, sleep mode,
 * outlier ejection and health checks together. The one answer that routing, /health, /engines and the
 * gauges all give.
 */
export class EngineAvailability implements HealthView {
  constructor(
    private readonly outliers: OutlierDetector | undefined,
    private readonly checks: PairHealthView | undefined,
    /** Engines put to sleep through POST /sleep leave routing until they wake. */
    private readonly sleep?: SleepState,
  ) {}

  isHealthy(engineId: string, model: string): boolean {
    return !this.sleep?.isSleeping(engineId) && !this.outliers?.isEjected(engineId) && (this.checks?.isHealthy(engineId, model) ?? true);
  }

  isHealthyUnlessEjected(engineId: string, model: string): boolean {
    return !this.sleep?.isSleeping(engineId) && (this.checks?.isHealthy(engineId, model) ?? true);
  }

  isRoutable(engine: EngineEntry, model: string): boolean {
    return engine.ready && engine.models.includes(model) && this.isHealthy(engine.id, model);
  }

  /** Why the engine takes no traffic at all, or undefined when it takes some. */
  whyOut(engine: EngineEntry): string | undefined {
    if (!engine.ready) return 'not ready in the routing table';
    if (this.sleep?.isSleeping(engine.id)) return 'asleep (POST /sleep); POST /wake_up brings it back';
    if (this.outliers?.isEjected(engine.id)) return `ejected: ${this.outliers.view(engine.id).reason ?? 'unknown'}`;
    if (engine.models.length === 0) return 'serves no model';
    if (engine.models.some((m) => this.checks?.isHealthy(engine.id, m) ?? true)) return undefined;
    const failing = this.checks?.engineHealth(engine.id).checks.find((c) => !c.healthy);
    return `health check failing${failing?.reason ? `: ${failing.reason}` : ''}`;
  }
}
