import type { ProxyOptions } from '../config/options.js';
import { AVAILABLE_POLICIES } from '../routing/policies/registry.js';

/**
 * Flags this build accepts but cannot honour yet. Refusing them with a clear message is better than
 * running without what the user asked for.
 */
export function unsupportedFlags(options: ProxyOptions): string[] {
  const problems: string[] = [];
  if (options.serviceDiscovery !== 'static' && (options.dynamicConfigJson !== undefined || options.dynamicConfigYaml !== undefined))
    problems.push(`--dynamic-config-json/yaml works with --service-discovery static only (with ${options.serviceDiscovery}, the routing table comes from Kubernetes)`);
  if (options.serviceDiscovery === 'k8s' && options.k8sServiceDiscoveryType === 'service-name')
    problems.push('--k8s-service-discovery-type service-name is not yet available in this build (use pod-ip)');
  if (!AVAILABLE_POLICIES.includes(options.routingLogic))
    problems.push(`--routing-logic ${options.routingLogic} is not yet available in this build (available: ${AVAILABLE_POLICIES.join(', ')})`);
  return problems;
}
