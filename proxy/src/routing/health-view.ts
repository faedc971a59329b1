/** Whether an (engine, model) pair passes health checks. The default trusts the table's readiness. */
export interface HealthView {
  isHealthy(engineId: string, model: string): boolean;
  /**
   * Healthy apart from passive outlier ejection. When every engine of a model is ejected, routing
   * uses these rather than none (panic mode, as Envoy's healthy-panic threshold): one transient
   * reset must not turn a one-engine model into 503s until the next probe.
   */
  isHealthyUnlessEjected?(engineId: string, model: string): boolean;
}

export const ALWAYS_HEALTHY: HealthView = { isHealthy: () => true };
