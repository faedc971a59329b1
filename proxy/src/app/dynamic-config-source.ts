import { applyDynamicConfig, dynamicConfigSource, type DynamicConfig } from '../config/dynamic-config.js';
import { DynamicConfigWatcher } from '../config/dynamic-config-watcher.js';
import { ADMISSION_SETTINGS } from '../config/admission-settings.js';
import type { ProxyOptions } from '../config/options.js';
import { buildStaticTable } from '../config/static-table.js';
import type { RouterApp } from './router-app.js';

/**
 * Settings a running proxy can't change (they shape the listener or the process, or admission
 * control's queues and buckets); a file that changes them is applied on restart.
 */
const RESTART_ONLY: ReadonlyArray<keyof ProxyOptions> = [
  'host', 'port', 'rootPath', 'serviceDiscovery', 'logFormat', 'enableBatchApi', 'fileStoragePath',
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

/** /health shows the dynamic config in force, as the reference router does. */
function rawView(config: DynamicConfig): Record<string, unknown> {
  return { ...config.settings };
}
