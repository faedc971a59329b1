/** Whether an (engine, model) pair passes health checks. The default trusts the table's readiness. */
export interface HealthView {
  isHealthy(engineId: string, model: string): boolean;
}

export const ALWAYS_HEALTHY: HealthView = { isHealthy: () => true };
