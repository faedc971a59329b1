import { finalizeTable, validateRoutingTable, type EngineEntry, type RoutingTable, type TableIssue } from '@vllm-router/common/routing-table';
import type { ResolvedSpec } from './spec-defaults.js';

export type TableResult = { ok: true; table: RoutingTable } | { ok: false; issues: TableIssue[] };

/**
 * The routing table the proxy will load: engines (pods with an address, then static backends),
 * aliases, model types and routing settings, finalized and checked with the contract's own
 * validator, so an invalid table is caught here and never published.
 */
export function buildRoutingTable(spec: ResolvedSpec, engines: EngineEntry[]): TableResult {
  const table = finalizeTable({
    source: 'configmap',
    routingLogic: spec.routing.logic,
    ...(spec.routing.sessionKey ? { sessionKey: spec.routing.sessionKey } : {}),
    ...(spec.routing.prefix ? { prefix: spec.routing.prefix } : {}),
    engines,
    aliases: spec.aliases,
    modelTypes: spec.modelTypes,
  });
  const checked = validateRoutingTable(table);
  return checked.ok ? { ok: true, table } : checked;
}
