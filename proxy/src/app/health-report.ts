/** What GET /health answers: the reference's {status, dynamic_config} plus the table in force and any rejected config. */
export interface HealthReport {
  /** `degraded`: the router works but some engines of the table take no traffic (see engines_out_of_routing). */
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** The dynamic config in force (reference router behaviour), when one is used. */
  dynamic_config?: unknown;
  /** `ready_engines`: those routing sends traffic to now (ready, not ejected, passing health checks). */
  routing_table?: { revision: string; source: string; routing_logic: string; engines: number; ready_engines: number };
  /** Engines of the table that routing sends nothing to now, and why. */
  engines_out_of_routing?: Array<{ engine: string; reason: string }>;
  /** The last configuration that was rejected; the previous good one stays in force. */
  config_error?: { source: string; message: string; at: string };
  reasons?: string[];
}
