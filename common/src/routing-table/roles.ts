import type { EngineRole } from './schema.js';

/**
 * Which label values mark prefill engines and which decode engines: the reference router's
 * `--prefill-model-labels` / `--decode-model-labels` against each engine's `model` label, and the
 * operator's role label on pods.
 */
export interface RoleLabels {
  prefill: readonly string[];
  decode: readonly string[];
}

/** The role a label value gives an engine; undefined when it names neither (or there is no label). */
export function roleOfLabel(value: string | undefined, labels: RoleLabels): EngineRole | undefined {
  if (value === undefined || value === '') return undefined;
  if (labels.prefill.includes(value)) return 'prefill';
  if (labels.decode.includes(value)) return 'decode';
  return undefined;
}

/** Label values listed as both prefill and decode (a configuration error: the role would be ambiguous). */
export function ambiguousRoleLabels(labels: RoleLabels): string[] {
  return [...new Set(labels.prefill.filter((v) => labels.decode.includes(v)))];
}
