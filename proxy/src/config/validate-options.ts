import { validateAdmission } from './admission-settings.js';
import { ConfigError } from './errors.js';
import type { ProxyOptions } from './options.js';
import { checkRoleLabels } from './role-options.js';
import { checkFeatureGates } from './refused-flags.js';
import { kebabCase, snakeCase } from './settings.js';

/** Where the options came from, so messages name settings the way the user wrote them. */
export type OptionsOrigin = 'flags' | 'dynamic-config';

export function settingName(key: keyof ProxyOptions, origin: OptionsOrigin): string {
  return origin === 'flags' ? `--${kebabCase(key)}` : snakeCase(key);
}

/**
 * Checks between fields (each field was already checked on its own when parsed).
 * With a dynamic config file on the command line, the static lists may still be missing from the
 * flags (the file supplies them); they are checked again once the file is applied ('dynamic-config').
 */
export function validateProxyOptions(o: ProxyOptions, origin: OptionsOrigin = 'flags'): void {
  const name = (key: keyof ProxyOptions) => settingName(key, origin);

  if (origin === 'flags' && o.dynamicConfigJson !== undefined && o.dynamicConfigYaml !== undefined)
    throw new ConfigError(name('dynamicConfigYaml'), o.dynamicConfigYaml, `cannot be combined with ${name('dynamicConfigJson')} (give one dynamic config file)`);

  if (o.serviceDiscovery === 'static') checkStatic(o, name, origin === 'flags' && hasDynamicConfig(o));
  if (o.serviceDiscovery === 'configmap' && o.routingConfigmap === undefined && o.routingFile === undefined)
    throw new ConfigError(name('routingConfigmap'), undefined, `or ${name('routingFile')} is required when service discovery is configmap`);
  if (o.outlierMaxEjectionSeconds < o.outlierBaseEjectionSeconds)
    throw new ConfigError(name('outlierMaxEjectionSeconds'), String(o.outlierMaxEjectionSeconds), `must be at least ${name('outlierBaseEjectionSeconds')} (${o.outlierBaseEjectionSeconds})`);
  if (o.serviceDiscovery === 'external-only' && o.externalProvidersConfig === undefined)
    throw new ConfigError(name('externalProvidersConfig'), undefined, 'is required when service discovery is external-only (the upstreams to route to)');
  checkFeatureGates(o.featureGates, name('featureGates'));
  if (o.routingLogic === 'session' && o.sessionKey === undefined)
    throw new ConfigError(name('sessionKey'), undefined, 'is required when routing logic is session (the header that carries the session id)');
  checkRoleLabels(o, name, origin === 'flags' && hasDynamicConfig(o));
  validateAdmission(o, name);
}

const entries = (n: number) => (n === 1 ? '1 entry' : `${n} entries`);

const hasDynamicConfig = (o: ProxyOptions) => o.dynamicConfigJson !== undefined || o.dynamicConfigYaml !== undefined;

function checkStatic(o: ProxyOptions, name: (key: keyof ProxyOptions) => string, fileMaySupply: boolean): void {
  const backends = o.staticBackends.length;
  const needed = 'is required when service discovery is static';
  if (backends === 0 && !fileMaySupply) throw new ConfigError(name('staticBackends'), undefined, needed);
  if (o.staticModels.length === 0 && !fileMaySupply) throw new ConfigError(name('staticModels'), undefined, `${needed} (one model per backend)`);
  if (o.staticBackendHealthChecks && o.staticModelTypes.length === 0 && !fileMaySupply)
    throw new ConfigError(name('staticModelTypes'), undefined, `is required with ${name('staticBackendHealthChecks')} (each model type is checked with its own endpoint)`);
  if (backends === 0) return;

  const aligned = (key: 'staticModels' | 'staticModelTypes' | 'staticModelLabels' | 'staticBackendKinds' | 'staticBackendPriorityScheduling', allowOne: boolean) => {
    const n = o[key].length;
    if (n === 0 || n === backends || (allowOne && n === 1)) return;
    const expected = allowOne ? `1 or ${backends}` : `${backends}`;
    throw new ConfigError(name(key), o[key].join(','), `has ${entries(n)} but ${name('staticBackends')} has ${backends} (expected ${expected}, one per backend in the same order)`);
  };
  aligned('staticModels', false);
  aligned('staticModelTypes', false);
  aligned('staticModelLabels', false);
  aligned('staticBackendKinds', true);
  aligned('staticBackendPriorityScheduling', true);
}
