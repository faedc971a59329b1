import { ConfigFileWatcher, type ConfigFileWatcherOptions } from './config-file-watcher.js';
import { applyDynamicConfig, parseDynamicConfig, type DynamicConfig, type DynamicConfigFormat } from './dynamic-config.js';
import type { ProxyOptions } from './options.js';

export interface DynamicConfigWatcherOptions extends ConfigFileWatcherOptions {
  /**
   * The options from the flags. When given, a file whose settings cannot be applied to them
   * (e.g. static_models no longer aligned with the backends) is reported as an error too.
   */
  base?: ProxyOptions;
}

/** Follows `--dynamic-config-json` / `--dynamic-config-yaml`; see ConfigFileWatcher for the events. */
export class DynamicConfigWatcher extends ConfigFileWatcher<DynamicConfig> {
  constructor(path: string, format: DynamicConfigFormat, options: DynamicConfigWatcherOptions = {}) {
    const { base, ...watchOptions } = options;
    super(
      path,
      (text) => {
        const config = parseDynamicConfig(text, format);
        if (base) applyDynamicConfig(base, config);
        return config;
      },
      watchOptions,
    );
  }
}
