import { applyDynamicConfig, dynamicConfigSource, type DynamicConfig } from '../config/dynamic-config.js';
import { DynamicConfigWatcher } from '../config/dynamic-config-watcher.js';
import { ADMISSION_SETTINGS } from '../config/admission-settings.js';
import type { ProxyOptions } from '../config/options.js';
import { buildStaticTable } from '../config/static-table.js';
import { SETTINGS, snakeCase } from '../config/settings.js';
import type { FeatureGate } from '../config/value-parsers.js';
import type { RouterApp } from './router-app.js';

/** Settings a running proxy can't change (they shape the listener or the process); a file that changes them is applied on restart. */
const RESTART_ONLY: ReadonlyArray<keyof ProxyOptions> = [
  'host', 'port', 'rootPath', 'serviceDiscovery', 'logFormat', 'enableBatchApi', 'fileStoragePath',
  'externalProvidersConfig', 'callbacks', 'requestRewriter', 'otelEndpoint', 'otelServiceName', 'otelSecure',
  'sentryDsn', 'sentryTracesSampleRate', 'sentryProfileSessionSampleRate',
  ...(Object.keys(ADMISSION_SETTINGS) as (keyof ProxyOptions)[]).filter((k) => k !== 'staticBackendPriorityScheduling'),
];

/**
 * Follows --dynamic-config-json/yaml: each valid version of the file becomes the routing table; an
 * invalid one is reported (log, /health, metric) and the last good table stays in force.
 */
export async function followDynamicConfig(app: RouterApp, base: ProxyOptions, pollIntervalMs = 1000): Promise<DynamicConfigWatcher | undefined> {
  const source = dynamicConfigSource(base);
  if (!source) return undefined;
  const watcher = new DynamicConfigWatcher(source.path, source.format, { base, pollIntervalMs });
  watcher.on('update', (event) => {
    if (!event.ok) {
      app.rejectConfig('dynamic-config', event.error.message);
      return;
    }
    apply(app, base, event.config, source.path);
  });
  await watcher.start();
  return watcher;
}

function apply(app: RouterApp, base: ProxyOptions, config: DynamicConfig, path: string): void {
  let merged: ProxyOptions;
  try {
    merged = applyDynamicConfig(base, config);
    const table = buildStaticTable(merged, 'dynamic-config');
    if (!app.applyTable(table, 'dynamic-config', rawView(config))) return;
  } catch (err) {
    app.rejectConfig('dynamic-config', err instanceof Error ? err.message : String(err));
    return;
  }
  if (config.ignoredFields.length) app.logger.warn('dynamic config fields ignored (unknown to this router)', { path, fields: config.ignoredFields.join(',') });
  const needRestart = RESTART_ONLY.filter((k) => k in config.settings && config.settings[k as keyof typeof config.settings] !== base[k]);
  if (needRestart.length) app.logger.warn('dynamic config changes settings that take effect on restart only', { path, settings: needRestart.join(',') });
}

/**
 * /health shows the dynamic config in force as the reference router does: snake_case fields, lists
 * comma-separated and aliases as `alias:model` pairs (its DynamicRouterConfig as JSON). Secrets are
 * left out.
 */
export function rawView(config: DynamicConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.settings) as Array<[keyof ProxyOptions, unknown]>) {
    if (SETTINGS[key].secret) continue;
    let shown = value;
    if (Array.isArray(value)) shown = value.map((v) => (typeof v === 'object' && v !== null && 'name' in v ? `${(v as FeatureGate).name}=${(v as FeatureGate).enabled}` : String(v))).join(',');
    else if (key === 'staticAliases' && typeof value === 'object' && value !== null) shown = Object.entries(value).map(([a, m]) => `${a}:${String(m)}`).join(',');
    out[snakeCase(key)] = shown;
  }
  return out;
}
