import { load as loadYaml } from 'js-yaml';
import { ConfigError } from './errors.js';
import type { ProxyOptions } from './options.js';
import { refusedField } from './refused-flags.js';
import { SETTING_KEYS, parseSetting, snakeCase } from './settings.js';
import { validateProxyOptions } from './validate-options.js';

export type DynamicConfigFormat = 'json' | 'yaml';

/** A dynamic config file may set every option except which dynamic config file to read. */
export type DynamicSettings = Partial<Omit<ProxyOptions, 'dynamicConfigJson' | 'dynamicConfigYaml'>>;
type DynamicKey = keyof DynamicSettings;

export interface DynamicConfig {
  /** Exactly the fields the file set (null counts as unset), already typed and checked one by one. */
  settings: DynamicSettings;
  /** Fields this proxy does not know, e.g. reference-only features or typos; worth a warning. */
  ignoredFields: string[];
}

const FIELD_TO_KEY = new Map<string, DynamicKey>(
  SETTING_KEYS.filter((k): k is DynamicKey => k !== 'dynamicConfigJson' && k !== 'dynamicConfigYaml').map((k) => [snakeCase(k), k]),
);

/** The file named on the command line, if any, and how to read it. */
export function dynamicConfigSource(options: ProxyOptions): { path: string; format: DynamicConfigFormat } | undefined {
  if (options.dynamicConfigJson !== undefined) return { path: options.dynamicConfigJson, format: 'json' };
  if (options.dynamicConfigYaml !== undefined) return { path: options.dynamicConfigYaml, format: 'yaml' };
  return undefined;
}

/**
 * Parse the reference router's dynamic config: snake_case flag names; lists as comma strings or
 * arrays; and, as in its YAML form, `static_models` as a mapping
 * `{model: {static_backends: [...], static_model_type: chat}}` and `static_aliases` as `{alias: model}`.
 */
export function parseDynamicConfig(text: string, format: DynamicConfigFormat): DynamicConfig {
  const doc = parseDocument(text, format);
  const fields = { ...doc };
  if (isMapping(fields.static_models)) expandModelMapping(fields);

  const settings: DynamicSettings = {};
  const ignoredFields: string[] = [];
  for (const [field, raw] of Object.entries(fields)) {
    const key = FIELD_TO_KEY.get(field);
    const refused = refusedField(field);
    if (refused && raw !== null && raw !== undefined) throw new ConfigError(field, undefined, `is not supported: ${refused.reason}`);
    if (key === undefined) ignoredFields.push(field);
    else if (raw !== null && raw !== undefined) assign(settings, key, parseSetting(key, raw, field));
  }
  return { settings, ignoredFields };
}

/**
 * The options after a dynamic config: every field the file sets replaces the flag's value (unlike
 * the reference, which drops several on reload). Fields the file leaves out keep `base`'s value, so
 * pass the options from the flags, not the previous result. Throws ConfigError if the combination is invalid.
 */
export function applyDynamicConfig(base: ProxyOptions, dyn: DynamicConfig): ProxyOptions {
  const merged: ProxyOptions = { ...base, ...dyn.settings };
  validateProxyOptions(merged, 'dynamic-config');
  return merged;
}

function parseDocument(text: string, format: DynamicConfigFormat): Record<string, unknown> {
  const what = `dynamic config (${format.toUpperCase()})`;
  // An empty file is most likely one caught mid-write, not a wish to drop every override.
  if (text.trim() === '') throw new ConfigError(what, undefined, 'is empty');
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : loadYaml(text);
  } catch (err) {
    throw new ConfigError(what, undefined, `cannot be parsed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  if (doc === null || doc === undefined) throw new ConfigError(what, undefined, 'is empty');
  if (!isMapping(doc)) throw new ConfigError(what, doc, 'must be an object of settings at the top level');
  return doc;
}

/** The reference's YAML form: one entry per model, listing the backends that serve it. */
function expandModelMapping(fields: Record<string, unknown>): void {
  for (const conflicting of ['static_backends', 'static_model_types'])
    if (fields[conflicting] !== undefined && fields[conflicting] !== null)
      throw new ConfigError(conflicting, fields[conflicting], 'cannot be combined with static_models given as a mapping (list backends under each model)');
  const backends: unknown[] = [];
  const models: string[] = [];
  const types: unknown[] = [];
  const entries = Object.entries(fields.static_models as Record<string, unknown>);
  for (const [model, details] of entries) {
    const at = `static_models.${model}`;
    if (!isMapping(details) || !Array.isArray(details.static_backends))
      throw new ConfigError(at, details, 'must be a mapping with a static_backends list');
    for (const url of details.static_backends) {
      backends.push(url);
      models.push(model);
      if (details.static_model_type !== undefined) types.push(details.static_model_type);
    }
  }
  // Types are aligned with backends, so they must be given for every model or for none.
  if (types.length !== 0 && types.length !== backends.length)
    throw new ConfigError('static_models', undefined, 'gives static_model_type for some models but not all');
  fields.static_backends = backends;
  fields.static_models = models;
  if (types.length) fields.static_model_types = types;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function assign<K extends DynamicKey>(target: DynamicSettings, key: K, value: DynamicSettings[K]): void {
  target[key] = value;
}
