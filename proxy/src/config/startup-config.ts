import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import type { ProxyOptions } from './options.js';
import { SETTING_KEYS, SETTINGS } from './settings.js';
import { parseDynamicConfig, type DynamicConfigFormat, type DynamicSettings } from './dynamic-config.js';

const REQUIRED = SETTING_KEYS.filter((k) => SETTINGS[k].required);

export interface StartupConfig {
  /** The required settings the file supplied. */
  required: Partial<ProxyOptions>;
  /** Everything the file sets, to validate the command line against. */
  settings: DynamicSettings;
}

/**
 * The reference router reads its dynamic config file before checking required flags, so the file
 * alone can start it (`vllm-router --dynamic-config-yaml router.yaml`). Returns the file's values of
 * the required settings the command line left out; reads nothing when none is missing.
 */
export function requiredFromConfigFile(fromFlags: Partial<ProxyOptions>): StartupConfig | undefined {
  const missing = REQUIRED.filter((k) => fromFlags[k] === undefined);
  const file = fromFlags.dynamicConfigJson ?? fromFlags.dynamicConfigYaml;
  if (missing.length === 0 || file === undefined) return undefined;
  const format: DynamicConfigFormat = fromFlags.dynamicConfigJson !== undefined ? 'json' : 'yaml';
  const flag = format === 'json' ? '--dynamic-config-json' : '--dynamic-config-yaml';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(flag, file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  let settings: DynamicSettings;
  try {
    settings = parseDynamicConfig(text, format).settings;
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(flag, file, `is invalid: ${err.message}`, { cause: err });
    throw err;
  }
  const required: Partial<ProxyOptions> = {};
  for (const key of missing) if (settings[key as keyof DynamicSettings] !== undefined) Object.assign(required, { [key]: settings[key as keyof DynamicSettings] });
  return { required, settings };
}
