import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../api/constants.js';

const time = (t: unknown): number => (t === undefined || t === null ? NaN : Date.parse(String(t)));

/**
 * Whether someone other than the operator wrote an owned object since the operator last applied
 * it (managedFields of the main resource, not status): then the next reconcile re-applies
 * everything rather than trusting what it remembers. Our own writes coming back as watch events
 * do not count, so they cost no extra round of applies. Times have one-second resolution, so a
 * write in the same second as ours counts as newer.
 */
export function touchedByOthers(obj: KubernetesObject): boolean {
  const entries = (obj.metadata?.managedFields ?? []).filter((e) => !e.subresource);
  const mine = entries.filter((e) => e.manager === FIELD_MANAGER).map((e) => time(e.time));
  if (mine.length === 0) return true;
  const lastMine = Math.max(...mine);
  return entries.some((e) => e.manager !== FIELD_MANAGER && time(e.time) >= lastMine);
}
