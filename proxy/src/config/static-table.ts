import {
  finalizeTable,
  formatIssues,
  roleOfLabel,
  validateRoutingTable,
  type EngineEntry,
  type ModelType,
  type PrefixParams,
  type RoutingTable,
  type TableSource,
} from '@vllm-router/common/routing-table';
import { dictionary } from '@vllm-router/common';
import { ConfigError } from './errors.js';
import type { ProxyOptions } from './options.js';
import { roleLabelsOf } from './role-options.js';

/** Engines take base URLs without `/v1` (the proxy appends request paths itself). */
export function engineBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The routing table for static discovery: one engine per backend, in flag order. */
export function buildStaticTable(options: ProxyOptions, source: Extract<TableSource, 'static' | 'dynamic-config'> = 'static'): RoutingTable {
  const { staticBackends: backends, staticModels: models, staticBackendKinds: kinds, staticModelLabels: labels, staticBackendPriorityScheduling: priorityScheduling } = options;
  if (models.length !== backends.length)
    throw new ConfigError('--static-models', models.length ? models.join(',') : undefined, `has ${models.length} entries but --static-backends has ${backends.length} (one model per backend)`);

  const urls = backends.map(engineBaseUrl);
  const repeated = new Set(urls.filter((url, i) => urls.indexOf(url) !== i));
  const roleLabels = roleLabelsOf(options);
  const engines = urls.map((url, i): EngineEntry => withRole({
    // A URL listed twice (one engine serving two models) needs distinct ids.
    id: repeated.has(url) ? `${url}#${i}` : url,
    url,
    models: [models[i]],
    backendKind: (kinds.length === 1 ? kinds[0] : kinds[i]) ?? 'vllm',
    labels: labelsOf(labels[i]),
    ready: true,
    ...(priorityScheduling.length > 0 && (priorityScheduling.length === 1 ? priorityScheduling[0] : priorityScheduling[i]) ? { priorityScheduling: true } : {}),
  }, roleOfLabel(labels[i], roleLabels)));

  const table = finalizeTable({
    source,
    routingLogic: options.routingLogic,
    ...(options.sessionKey === undefined ? {} : { sessionKey: options.sessionKey }),
    ...prefixParamsOf(options),
    engines,
    aliases: { ...options.staticAliases },
    modelTypes: modelTypesOf(models, options.staticModelTypes),
  });
  const result = validateRoutingTable(table);
  if (!result.ok) throw new ConfigError('static routing table', undefined, formatIssues(result.issues));
  return result.table;
}

/** Prefix-aware tuning from the flags; fields left unset keep the policy's defaults. */
export function prefixParamsOf(options: ProxyOptions): { prefix?: Partial<PrefixParams> } {
  const prefix: Partial<PrefixParams> = {};
  if (options.prefixMinMatchLength !== undefined) prefix.minMatchChars = options.prefixMinMatchLength;
  if (options.prefixBlockChars !== undefined) prefix.blockChars = options.prefixBlockChars;
  if (options.prefixMaxBlocks !== undefined) prefix.maxBlocks = options.prefixMaxBlocks;
  if (options.prefixMaxBlocksPerEngine !== undefined) prefix.maxBlocksPerEngine = options.prefixMaxBlocksPerEngine;
  if (options.prefixMinMatchRatio !== undefined) prefix.minMatchRatio = options.prefixMinMatchRatio;
  if (options.prefixBalanceAbsThreshold !== undefined) prefix.balanceAbsThreshold = options.prefixBalanceAbsThreshold;
  if (options.prefixBalanceRelThreshold !== undefined) prefix.balanceRelThreshold = options.prefixBalanceRelThreshold;
  return Object.keys(prefix).length ? { prefix } : {};
}

function withRole(engine: EngineEntry, role: EngineEntry['role']): EngineEntry {
  return role ? { ...engine, role } : engine;
}

/** The reference's per-backend model label, under the same `model` key that k8s discovery reads from pods. */
function labelsOf(label: string | undefined): Record<string, string> {
  return label ? { model: label } : {};
}

function modelTypesOf(models: string[], types: ModelType[]): Record<string, ModelType> {
  const out = dictionary<ModelType>();
  types.forEach((type, i) => {
    const model = models[i];
    if (out[model] !== undefined && out[model] !== type)
      throw new ConfigError('--static-model-types', types.join(','), `gives model ${model} two types (${out[model]} and ${type})`);
    out[model] = type;
  });
  return out;
}
