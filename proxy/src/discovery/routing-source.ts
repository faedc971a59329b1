/** A running source of routing tables (the ConfigMap watch, the mounted file, pod discovery). */
export interface RoutingSource {
  readonly name: string;
  stop(): Promise<void>;
}

/**
 * What a source needs from the proxy: RouterApp satisfies it. applyTable validates and swaps,
 * rejectConfig records a refused table (the last good one stays), setComponentFailure makes
 * /health answer 503 while discovery is broken (reference behaviour).
 */
export interface TableSink {
  applyTable(candidate: unknown, source: string): boolean;
  rejectConfig(source: string, message: string): void;
  setComponentFailure(component: string, reason: string | undefined): void;
}
