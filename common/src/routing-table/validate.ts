import {
  BACKEND_KINDS,
  ENGINE_ROLES,
  MODEL_TYPES,
  ROUTING_LOGICS,
  ROUTING_TABLE_VERSION,
  TABLE_SOURCES,
  type EngineEntry,
  type PrefixParams,
  type RoutingTable,
} from './schema.js';
import { computeRevision } from './revision.js';
import { ownValue } from '../util/dictionary.js';

/** One reason a table was refused: which field, what it held, and why. */
export interface TableIssue {
  path: string;
  value: unknown;
  reason: string;
}

export type TableValidation = { ok: true; table: RoutingTable } | { ok: false; issues: TableIssue[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

function oneOf<T extends string>(allowed: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v);
}

function checkUrl(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a string';
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http or https URL';
    return undefined;
  } catch {
    return 'is not a valid URL';
  }
}

interface Limits {
  min: number;
  max: number;
  integer: boolean;
}

const PREFIX_LIMITS: Record<keyof PrefixParams, Limits> = {
  blockChars: { min: 1, max: 1_000_000, integer: true },
  maxBlocks: { min: 1, max: 1_000_000, integer: true },
  maxBlocksPerEngine: { min: 1, max: 100_000_000, integer: true },
  minMatchRatio: { min: 0, max: 1, integer: false },
  minMatchChars: { min: 0, max: 100_000_000, integer: true },
  balanceAbsThreshold: { min: 0, max: 1_000_000, integer: false },
  balanceRelThreshold: { min: 1, max: 1_000_000, integer: false },
};

function validateEngine(e: unknown, i: number, issues: TableIssue[], seenIds: Set<string>): void {
  const at = `engines[${i}]`;
  if (!isObj(e)) {
    issues.push({ path: at, value: e, reason: 'must be an object' });
    return;
  }
  if (typeof e.id !== 'string' || e.id === '') issues.push({ path: `${at}.id`, value: e.id, reason: 'must be a non-empty string' });
  else if (seenIds.has(e.id)) issues.push({ path: `${at}.id`, value: e.id, reason: 'duplicates another engine id' });
  else seenIds.add(e.id);
  const urlProblem = checkUrl(e.url);
  if (urlProblem) issues.push({ path: `${at}.url`, value: e.url, reason: urlProblem });
  if (!Array.isArray(e.models) || !e.models.every((m) => typeof m === 'string' && m !== ''))
    issues.push({ path: `${at}.models`, value: e.models, reason: 'must be an array of non-empty strings' });
  if (!oneOf(BACKEND_KINDS, e.backendKind))
    issues.push({ path: `${at}.backendKind`, value: e.backendKind, reason: `must be one of ${BACKEND_KINDS.join(', ')}` });
  if (!isStringMap(e.labels)) issues.push({ path: `${at}.labels`, value: e.labels, reason: 'must be an object of strings' });
  if (typeof e.ready !== 'boolean') issues.push({ path: `${at}.ready`, value: e.ready, reason: 'must be a boolean' });
  if (e.role !== undefined && !oneOf(ENGINE_ROLES, e.role))
    issues.push({ path: `${at}.role`, value: e.role, reason: `must be one of ${ENGINE_ROLES.join(', ')} when present` });
  if (e.priorityScheduling !== undefined && typeof e.priorityScheduling !== 'boolean')
    issues.push({ path: `${at}.priorityScheduling`, value: e.priorityScheduling, reason: 'must be a boolean when present' });
}

function validatePrefix(p: unknown, issues: TableIssue[]): void {
  if (p === undefined) return;
  if (!isObj(p)) {
    issues.push({ path: 'prefix', value: p, reason: 'must be an object' });
    return;
  }
  for (const [key, value] of Object.entries(p)) {
    const limits = ownValue<Limits>(PREFIX_LIMITS, key);
    if (!limits) {
      issues.push({ path: `prefix.${key}`, value, reason: `is not a known setting (known: ${Object.keys(PREFIX_LIMITS).join(', ')})` });
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < limits.min || value > limits.max) {
      issues.push({ path: `prefix.${key}`, value, reason: `must be a number from ${limits.min} to ${limits.max}` });
    } else if (limits.integer && !Number.isInteger(value)) {
      issues.push({ path: `prefix.${key}`, value, reason: 'must be an integer' });
    }
  }
}

/**
 * Check an untrusted value (parsed JSON from a file, a ConfigMap, ...) against the contract.
 * Every problem is reported, not only the first, so a user can fix a table in one pass.
 */
export function validateRoutingTable(input: unknown): TableValidation {
  const issues: TableIssue[] = [];
  if (!isObj(input)) return { ok: false, issues: [{ path: '', value: input, reason: 'routing table must be a JSON object' }] };
  if (input.version !== ROUTING_TABLE_VERSION)
    issues.push({ path: 'version', value: input.version, reason: `must be ${ROUTING_TABLE_VERSION} (this proxy's routing table version)` });
  if (input.revision !== undefined && typeof input.revision !== 'string')
    issues.push({ path: 'revision', value: input.revision, reason: 'must be a string when present' });
  if (!oneOf(TABLE_SOURCES, input.source))
    issues.push({ path: 'source', value: input.source, reason: `must be one of ${TABLE_SOURCES.join(', ')}` });
  if (!oneOf(ROUTING_LOGICS, input.routingLogic))
    issues.push({ path: 'routingLogic', value: input.routingLogic, reason: `must be one of ${ROUTING_LOGICS.join(', ')}` });
  if (input.sessionKey !== undefined && (typeof input.sessionKey !== 'string' || input.sessionKey === ''))
    issues.push({ path: 'sessionKey', value: input.sessionKey, reason: 'must be a non-empty string' });
  if (input.routingLogic === 'session' && input.sessionKey === undefined)
    issues.push({ path: 'sessionKey', value: undefined, reason: 'is required when routingLogic is session' });
  validatePrefix(input.prefix, issues);

  if (!Array.isArray(input.engines)) issues.push({ path: 'engines', value: input.engines, reason: 'must be an array' });
  else {
    const seen = new Set<string>();
    input.engines.forEach((e, i) => validateEngine(e, i, issues, seen));
  }

  const served = new Set<string>(Array.isArray(input.engines) ? (input.engines as EngineEntry[]).flatMap((e) => (Array.isArray(e?.models) ? e.models : [])) : []);
  if (!isStringMap(input.aliases)) issues.push({ path: 'aliases', value: input.aliases, reason: 'must be an object mapping alias to model' });
  else
    for (const [alias, target] of Object.entries(input.aliases)) {
      if (alias === '' || target === '') issues.push({ path: `aliases.${alias}`, value: target, reason: 'alias and model must be non-empty' });
      else if (alias === target) issues.push({ path: `aliases.${alias}`, value: target, reason: 'an alias cannot point to itself' });
      else if (served.has(alias)) issues.push({ path: `aliases.${alias}`, value: target, reason: 'alias shadows a model an engine serves' });
    }
  if (!isObj(input.modelTypes)) issues.push({ path: 'modelTypes', value: input.modelTypes, reason: 'must be an object mapping model to type' });
  else
    for (const [model, type] of Object.entries(input.modelTypes))
      if (!oneOf(MODEL_TYPES, type)) issues.push({ path: `modelTypes.${model}`, value: type, reason: `must be one of ${MODEL_TYPES.join(', ')}` });

  if (issues.length) return { ok: false, issues };
  // A hand-written table may omit the revision; it is then derived from the content.
  const table = input as unknown as RoutingTable;
  return { ok: true, table: { ...table, revision: table.revision ?? computeRevision(table) } };
}

/** One line per issue, for logs, /health and operator status. */
export function formatIssues(issues: TableIssue[]): string {
  return issues.map((i) => `${i.path || '(table)'}: ${JSON.stringify(i.value) ?? 'undefined'} ${i.reason}`).join('; ');
}
