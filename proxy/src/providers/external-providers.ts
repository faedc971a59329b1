import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { finalizeTable, type EngineEntry, type RoutingTable } from '@vllm-router/common/routing-table';
import { ConfigError } from '../config/errors.js';
import { engineBaseUrl } from '../config/static-table.js';
import { httpUrl } from '../config/value-parsers.js';

/** The label that marks an engine as an external provider (its value is the provider's name). */
export const EXTERNAL_PROVIDER_LABEL = 'external-provider';

export const isExternalEngine = (e: EngineEntry): boolean => e.labels[EXTERNAL_PROVIDER_LABEL] !== undefined;

/** One named OpenAI-compatible upstream from --external-providers-config. */
export interface ExternalProvider {
  name: string;
  engine: EngineEntry;
  /** alias -> model id, as the reference resolves them before forwarding. */
  aliases: Map<string, string>;
  /** Sent on every request to this provider (Authorization from its key, custom_headers); never logged. */
  headers: Readonly<Record<string, string>>;
}

/** The reference's provider types; `openai` is any OpenAI-compatible API. */
const TYPES = new Set(['openai']);
const MAX_PROVIDERS = 100;
const MAX_MODELS = 1000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

function refuse(at: string, value: unknown, reason: string): never {
  throw new ConfigError(`--external-providers-config ${at}`, value, reason);
}

function str(doc: Doc, key: string, at: string, required: true): string;
function str(doc: Doc, key: string, at: string, required?: false): string | undefined;
function str(doc: Doc, key: string, at: string, required = false): string | undefined {
  const v = Object.hasOwn(doc, key) ? doc[key] : undefined;
  if (v === undefined || v === null) return required ? refuse(`${at}.${key}`, undefined, 'is required') : undefined;
  if (typeof v !== 'string' || v.trim() === '') return refuse(`${at}.${key}`, v, 'must be a non-empty string');
  return v.trim();
}

function providerKey(doc: Doc, at: string, name: string, env: NodeJS.ProcessEnv): string | undefined {
  const envVar = str(doc, 'api_key_env_var', at);
  if (envVar !== undefined) {
    const key = env[envVar]?.trim();
    // The value is never shown: only the variable's name.
    if (!key) return refuse(`${at}.api_key_env_var`, envVar, `names an environment variable that is not set (the API key of provider "${name}")`);
    return key;
  }
  // As the reference: an OpenAI provider without its own variable uses OPENAI_API_KEY (when set).
  return env.OPENAI_API_KEY?.trim() || undefined;
}

function headersOf(doc: Doc, at: string, key: string | undefined): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  if (key) headers.authorization = `Bearer ${key}`;
  const custom = Object.hasOwn(doc, 'custom_headers') ? doc.custom_headers : undefined;
  if (custom === undefined || custom === null) return headers;
  if (!isDoc(custom)) return refuse(`${at}.custom_headers`, undefined, 'must be a mapping of header names to values');
  for (const [name, value] of Object.entries(custom)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) refuse(`${at}.custom_headers`, name, 'is not a valid header name');
    if (typeof value !== 'string' || /[\r\n]/.test(value)) refuse(`${at}.custom_headers.${name}`, undefined, 'must be a single-line string');
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

function parseProvider(doc: unknown, i: number, env: NodeJS.ProcessEnv): ExternalProvider {
  const at = `external_providers[${i}]`;
  if (!isDoc(doc)) return refuse(at, undefined, 'must be a mapping (name, type, api_base, models, ...)');
  const name = str(doc, 'name', at, true);
  if (!NAME.test(name)) refuse(`${at}.name`, name, 'must be letters, digits, ".", "_" or "-" (up to 63)');
  const type = str(doc, 'type', at) ?? 'openai';
  if (!TYPES.has(type)) refuse(`${at}.type`, type, `is not a provider type of this router (known: ${[...TYPES].join(', ')})`);
  const apiBase = httpUrl()(str(doc, 'api_base', at, true), `--external-providers-config ${at}.api_base`);
  const models = Object.hasOwn(doc, 'models') ? doc.models : undefined;
  if (!Array.isArray(models) || models.length === 0) return refuse(`${at}.models`, undefined, 'must list the models this provider serves (id, aliases)');
  if (models.length > MAX_MODELS) refuse(`${at}.models`, undefined, `lists more than ${MAX_MODELS} models`);
  const ids: string[] = [];
  const aliases = new Map<string, string>();
  models.forEach((m: unknown, j) => {
    const mAt = `${at}.models[${j}]`;
    if (!isDoc(m)) refuse(mAt, undefined, 'must be a mapping with an id');
    const id = str(m, 'id', mAt, true);
    ids.push(id);
    const list = Object.hasOwn(m, 'aliases') ? m.aliases : undefined;
    if (list === undefined || list === null) return;
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' && a.trim() !== '')) refuse(`${mAt}.aliases`, undefined, 'must be a list of names');
    for (const alias of list as string[]) aliases.set(alias.trim(), id);
  });
  const key = providerKey(doc, at, name, env);
  return {
    name,
    engine: {
      id: `external:${name}`,
      url: engineBaseUrl(apiBase),
      models: [...new Set(ids)],
      backendKind: 'openai',
      labels: { [EXTERNAL_PROVIDER_LABEL]: name },
      ready: true,
    },
    aliases,
    headers: headersOf(doc, at, key),
  };
}

/** Parse the reference's YAML (`external_providers: [...]`); API keys are read from the environment. */
export function parseExternalProviders(text: string, env: NodeJS.ProcessEnv): ExternalProvider[] {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    return refuse('file', undefined, `cannot be parsed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const list = isDoc(doc) && Object.hasOwn(doc, 'external_providers') ? doc.external_providers : undefined;
  if (!Array.isArray(list)) return refuse('file', undefined, 'must have an external_providers list');
  if (list.length > MAX_PROVIDERS) refuse('external_providers', undefined, `lists more than ${MAX_PROVIDERS} providers`);
  const providers = list.map((p: unknown, i) => parseProvider(p, i, env));
  const owner = new Map<string, string>();
  for (const p of providers) {
    for (const name of [...p.engine.models, ...p.aliases.keys()]) {
      const other = owner.get(name);
      if (other !== undefined && other !== p.name) refuse('external_providers', name, `is a model of both "${other}" and "${p.name}"`);
      owner.set(name, p.name);
    }
  }
  const names = providers.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) refuse('external_providers', dup, 'names two providers');
  return providers;
}

export function loadExternalProviders(path: string, env: NodeJS.ProcessEnv): ExternalProviders {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--external-providers-config', path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return new ExternalProviders(parseExternalProviders(text, env));
}

/**
 * The external providers, routed like engines: each is an engine of backend kind `openai` added to
 * every routing table the router applies, its aliases added to the table's. Their keys stay here,
 * never in the table (so not in /engines, logs or the operator's ConfigMap).
 */
export class ExternalProviders {
  private readonly headersByEngine: ReadonlyMap<string, Readonly<Record<string, string>>>;

  constructor(readonly providers: readonly ExternalProvider[]) {
    this.headersByEngine = new Map(providers.map((p) => [p.engine.id, p.headers]));
  }

  /** The table with the providers' engines and aliases added (discovered engines keep their aliases). */
  addTo(table: RoutingTable): RoutingTable {
    if (this.providers.length === 0) return table;
    const aliases: Record<string, string> = { ...table.aliases };
    for (const p of this.providers) for (const [alias, model] of p.aliases) if (!Object.hasOwn(aliases, alias)) aliases[alias] = model;
    const { revision: _revision, version: _version, ...draft } = table;
    return finalizeTable({ ...draft, engines: [...table.engines.filter((e) => !isExternalEngine(e)), ...this.providers.map((p) => p.engine)], aliases });
  }

  /** Headers that replace the client's Authorization (and add custom ones) for a provider's engine. */
  headersFor(engine: EngineEntry): Readonly<Record<string, string>> | undefined {
    return this.headersByEngine.get(engine.id);
  }
}
