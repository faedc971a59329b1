import { ConfigError } from './errors.js';
import type { FeatureGate } from './value-parsers.js';

/**
 * The reference router's flags for experimental features this build leaves out on purpose. They
 * are parsed (so the error names them) and refused with the reason, never silently ignored.
 */
export interface RefusedFlag {
  /** Without dashes, as on the command line. */
  flag: string;
  reason: string;
}

const LMCACHE =
  'the LMCache controller (KV-cache lookups over ZeroMQ for kvaware routing) is experimental in the reference router and not part of this build; kvaware here scores engines by cached prompt prefixes and load, without a controller';
const SEMANTIC_CACHE =
  'the semantic cache (sentence-transformer embeddings in a FAISS index) is experimental in the reference router and not part of this build';

export const REFUSED_FLAGS: readonly RefusedFlag[] = [
  { flag: 'lmcache-controller-port', reason: LMCACHE },
  { flag: 'lmcache-controller-reply-port', reason: LMCACHE },
  { flag: 'lmcache-controller-heartbeat-port', reason: LMCACHE },
  { flag: 'lmcache-health-check-interval', reason: LMCACHE },
  { flag: 'lmcache-worker-timeout', reason: LMCACHE },
  { flag: 'semantic-cache-model', reason: SEMANTIC_CACHE },
  { flag: 'semantic-cache-dir', reason: SEMANTIC_CACHE },
  { flag: 'semantic-cache-threshold', reason: SEMANTIC_CACHE },
];

const BY_FIELD = new Map(REFUSED_FLAGS.map((f) => [f.flag.replaceAll('-', '_'), f]));

/** The refused flag a dynamic config field names (snake_case), if any. */
export function refusedField(field: string): RefusedFlag | undefined {
  return BY_FIELD.get(field);
}

/** The reference's gates, and why enabling each one is refused. */
const GATES = new Map([
  ['SemanticCache', SEMANTIC_CACHE],
  ['PIIDetection', 'PII detection (Presidio or regex analyzers) is experimental in the reference router and not part of this build'],
]);

/** --feature-gates: a gate turned off is fine; turning one on names the feature and why it is absent. */
export function checkFeatureGates(gates: readonly FeatureGate[], name: string): void {
  for (const gate of gates) {
    const reason = GATES.get(gate.name);
    if (reason === undefined) throw new ConfigError(name, gate.name, `is not a feature gate of the reference router (known: ${[...GATES.keys()].join(', ')})`);
    if (gate.enabled) throw new ConfigError(name, `${gate.name}=true`, `cannot be enabled: ${reason}`);
  }
}
