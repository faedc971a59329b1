import { ambiguousRoleLabels, isDisaggregated, roleOfLabel, type RoleLabels } from '@vllm-router/common/routing-table';
import { ConfigError } from './errors.js';
import type { ProxyOptions } from './options.js';

/** The prefill and decode label lists of the options. */
export function roleLabelsOf(o: Pick<ProxyOptions, 'prefillModelLabels' | 'decodeModelLabels'>): RoleLabels {
  return { prefill: o.prefillModelLabels, decode: o.decodeModelLabels };
}

/**
 * --prefill-model-labels / --decode-model-labels are accepted with every routing logic (the
 * reference's CI passes them to all); a value in both lists is refused whatever the logic. The
 * disaggregated logics need both lists when the proxy assigns roles itself (static and k8s
 * discovery; with the operator's table the roles come with it), and with static backends at least
 * one backend of each role, so a typo fails at start instead of as a 503 on every request.
 */
export function checkRoleLabels(o: ProxyOptions, name: (key: keyof ProxyOptions) => string, fileMaySupply: boolean): void {
  const ambiguous = ambiguousRoleLabels(roleLabelsOf(o));
  if (ambiguous.length)
    throw new ConfigError(name('decodeModelLabels'), o.decodeModelLabels.join(','), `names ${ambiguous.join(', ')}, which ${name('prefillModelLabels')} names too (a label gives one role)`);
  if (!isDisaggregated(o.routingLogic) || o.serviceDiscovery === 'configmap' || fileMaySupply) return;
  for (const key of ['prefillModelLabels', 'decodeModelLabels'] as const)
    if (o[key].length === 0)
      throw new ConfigError(name(key), undefined, `is required with routing logic ${o.routingLogic} (the ${key === 'prefillModelLabels' ? 'prefill' : 'decode'} engines' model labels)`);
  if (o.serviceDiscovery !== 'static' || o.staticBackends.length === 0) return;
  const roles = o.staticBackends.map((_, i) => roleOfLabel(o.staticModelLabels[i], roleLabelsOf(o)));
  for (const role of ['prefill', 'decode'] as const)
    if (!roles.includes(role))
      throw new ConfigError(
        name('staticModelLabels'),
        o.staticModelLabels.join(',') || undefined,
        `gives no backend a ${role} label (${(role === 'prefill' ? o.prefillModelLabels : o.decodeModelLabels).join(', ')}); routing logic ${o.routingLogic} needs at least one ${role} engine`,
      );
}
