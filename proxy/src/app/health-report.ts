/** What GET /health answers: the reference's {status, dynamic_config} plus the table in force and any rejected config. */
export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  /** The dynamic config in force (reference router behaviour), when one is used. */
  dynamic_config?: unknown;
  routing_table?: { revision: string; source: string; routing_logic: string; engines: number; ready_engines: number };
  /** The last configuration that was rejected; the previous good one stays in force. */
  config_error?: { source: string; message: string; at: string };
  reasons?: string[];
}
