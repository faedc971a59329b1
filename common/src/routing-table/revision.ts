import { createHash } from 'node:crypto';
import { dictionary } from '../util/dictionary.js';
import { ROUTING_TABLE_VERSION, type RoutingTable, type RoutingTableDraft } from './schema.js';

/** JSON with object keys sorted, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      // Null prototype: a key such as "__proto__" (an alias) is kept as data, not dropped.
      const sorted = dictionary<unknown>();
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** A short content hash over everything in the table but the revision itself. */
export function computeRevision(table: RoutingTableDraft | RoutingTable): string {
  const { revision: _ignored, ...content } = { revision: '', ...table };
  return createHash('sha256').update(canonicalJson({ ...content, version: ROUTING_TABLE_VERSION })).digest('hex').slice(0, 16);
}

/** Stamp version and revision onto a draft. */
export function finalizeTable(draft: RoutingTableDraft): RoutingTable {
  return { ...draft, version: ROUTING_TABLE_VERSION, revision: computeRevision(draft) };
}
