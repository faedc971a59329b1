import type { ProxyOptions } from '../config/options.js';
import { AVAILABLE_POLICIES } from '../routing/policies/registry.js';

/**
 * Flags this build accepts but cannot honour yet. Refusing them with a clear message is better than
 * running without what the user asked for.
 */
export function unsupportedFlags(options: ProxyOptions): string[] {
  const problems: string[] = [];
  if (options.serviceDiscovery !== 'static')
    problems.push(`--service-discovery ${options.serviceDiscovery} is not yet available in this build (use static, optionally with --dynamic-config-json)`);
  if (!AVAILABLE_POLICIES.includes(options.routingLogic))
    problems.push(`--routing-logic ${options.routingLogic} is not yet available in this build (available: ${AVAILABLE_POLICIES.join(', ')})`);
  if (options.staticBackendHealthChecks) problems.push('--static-backend-health-checks is not yet available in this build');
  if (options.logStats) problems.push('--log-stats is not yet available in this build');
  if (options.enableBatchApi) problems.push('--enable-batch-api is not yet available in this build');
  if (options.otelEndpoint) problems.push('--otel-endpoint is not supported by this build (tracing export is not implemented)');
  if (options.sentryDsn) problems.push('--sentry-dsn is not supported by this build');
  return problems;
}
