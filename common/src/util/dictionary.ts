/**
 * Plain objects keyed by outside input (model names, aliases, header or field names) must not see
 * Object.prototype: `{}["constructor"]` is a function and `{}["__proto__"]` is the prototype. These
 * helpers make null-prototype records and read only a record's own keys.
 */

/** An empty record with no prototype, safe to key by any string. */
export function dictionary<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** A null-prototype copy of `entries` (later keys win). */
export function dictionaryOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out = dictionary<V>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** `record[key]` when `key` is the record's own property, else undefined (never an inherited member). */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
