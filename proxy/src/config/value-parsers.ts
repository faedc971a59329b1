import { dictionary, ownValue } from '@vllm-router/common';
import { ConfigError } from './errors.js';

/**
 * Turns one raw value into a typed setting. Raw values are strings or booleans from the command
 * line, or any JSON/YAML value from a dynamic config file; `name` is how the user spelled the setting.
 */
export type ValueParser<T> = (raw: unknown, name: string) => T;

const refuse = (name: string, raw: unknown, reason: string): never => {
  throw new ConfigError(name, raw, reason);
};

export function text(opts: { allowEmpty?: boolean } = {}): ValueParser<string> {
  return (raw, name) => {
    if (typeof raw === 'number') raw = String(raw);
    if (typeof raw !== 'string') return refuse(name, raw, 'must be a string');
    const value = raw.trim();
    if (value === '' && !opts.allowEmpty) return refuse(name, raw, 'must not be empty');
    return value;
  };
}

/** Integers within [min, max]; timers cap at setTimeout's limit, so callers pass it as max. */
export function int(min: number, max: number = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  const reason = `must be an integer from ${min} to ${max}`;
  return (raw, name) => {
    const n = typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) return refuse(name, raw, reason);
    return n;
  };
}

/** Seconds and other quantities where fractions make sense (e.g. a 0.5 s stats interval). */
export function number(opts: { min: number; exclusiveMin?: boolean; max?: number }): ValueParser<number> {
  const reason =
    opts.max !== undefined
      ? `must be a number from ${opts.min} to ${opts.max}`
      : opts.exclusiveMin
        ? `must be a number greater than ${opts.min}`
        : `must be a number of at least ${opts.min}`;
  return (raw, name) => {
    const n = typeof raw === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < opts.min || (opts.exclusiveMin && n === opts.min) || (opts.max !== undefined && n > opts.max))
      return refuse(name, raw, reason);
    return n;
  };
}

export function bool(): ValueParser<boolean> {
  return (raw, name) => {
    if (typeof raw === 'boolean') return raw;
    const s = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    return refuse(name, raw, 'must be true or false');
  };
}

/** One of a fixed set; `synonyms` accepts the reference router's spellings (e.g. warning -> warn). */
export function choice<T extends string>(choices: readonly T[], synonyms: Record<string, T> = {}): ValueParser<T> & { choices: readonly T[] } {
  const reason = `must be one of ${choices.join(', ')}`;
  const parse: ValueParser<T> = (raw, name) => {
    if (typeof raw !== 'string') return refuse(name, raw, reason);
    const s = raw.trim();
    const found = choices.find((c) => c === s) ?? ownValue(synonyms, s);
    return found ?? refuse(name, raw, reason);
  };
  return Object.assign(parse, { choices });
}

/**
 * A comma-separated string, or an array in a config file. Empty entries are kept (and handed to
 * `item`), because per-backend lists are aligned by position and dropping one would shift the rest.
 */
export function list<T>(item: ValueParser<T>): ValueParser<T[]> {
  return (raw, name) => {
    let entries: unknown[];
    if (typeof raw === 'string') entries = raw.trim() === '' ? [] : raw.split(',');
    else if (Array.isArray(raw)) entries = raw;
    else return refuse(name, raw, 'must be a comma-separated list (or an array)');
    return entries.map((entry, i) => item(entry, `${name} entry ${i + 1}`));
  };
}

export function httpUrl(): ValueParser<string> {
  return (raw, name) => {
    const value = text()(raw, name);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return refuse(name, raw, 'is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(name, raw, 'must be an http or https URL');
    return value;
  };
}

/**
 * `alias:model,alias2:model` (the reference's flag form), an array of such strings, or a mapping
 * (the reference's YAML form). Splits at the first colon: model names such as `llama3:8b` keep theirs.
 */
export function aliases(): ValueParser<Record<string, string>> {
  return (raw, name) => {
    let pairs: [string, string][];
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      pairs = Object.entries(raw).map(([alias, model]) => [alias.trim(), text()(model, `${name}.${alias}`)]);
    } else {
      pairs = list(text())(raw, name).map((entry) => {
        const colon = entry.indexOf(':');
        const pair: [string, string] = [entry.slice(0, colon).trim(), entry.slice(colon + 1).trim()];
        if (colon < 0 || !pair[0] || !pair[1]) return refuse(name, entry, 'must be an alias:model pair');
        return pair;
      });
    }
    const out = dictionary<string>();
    for (const [alias, model] of pairs) {
      if (alias === model) refuse(name, `${alias}:${model}`, 'is an alias that points to itself');
      if (out[alias] !== undefined && out[alias] !== model)
        refuse(name, alias, `is an alias given twice, for ${out[alias]} and for ${model}`);
      out[alias] = model;
    }
    return out;
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `<namespace>/<name>` of a ConfigMap. */
export function namespacedName(): ValueParser<string> {
  return (raw, name) => {
    const value = text()(raw, name);
    const [ns, obj, extra] = value.split('/');
    if (extra !== undefined || !ns || !obj || !DNS_LABEL.test(ns) || !DNS_SUBDOMAIN.test(obj))
      return refuse(name, raw, 'must be <namespace>/<name> (lower-case Kubernetes names)');
    return value;
  };
}

/** A URL prefix the proxy is mounted under: '' or `/path` without a trailing slash. */
export function rootPath(): ValueParser<string> {
  return (raw, name) => {
    const value = text({ allowEmpty: true })(raw, name).replace(/\/+$/, '');
    if (value !== '' && !value.startsWith('/')) return refuse(name, raw, "must start with '/' (or be empty)");
    return value;
  };
}

/** One `--feature-gates` entry (reference: `Name=true,Other=false`). */
export interface FeatureGate {
  name: string;
  enabled: boolean;
}

/** `Name=true,Other=false`, or an array of such strings in a config file. */
export function featureGates(): ValueParser<FeatureGate[]> {
  return (raw, name) =>
    list(text({ allowEmpty: true }))(raw, name)
      .filter((entry) => entry !== '')
      .map((entry) => {
        const eq = entry.indexOf('=');
        const gate = eq < 0 ? '' : entry.slice(0, eq).trim();
        const value = eq < 0 ? '' : entry.slice(eq + 1).trim().toLowerCase();
        if (!gate || (value !== 'true' && value !== 'false')) return refuse(name, entry, 'must be Name=true or Name=false');
        return { name: gate, enabled: value === 'true' };
      });
}
