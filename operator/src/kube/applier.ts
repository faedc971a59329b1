import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { PATCH, canonicalJson, type KubeClient } from '@vllm-router/common';
import { ANNOTATIONS, FIELD_MANAGER } from '../api/constants.js';
import { objectPath } from './paths.js';

export type ApplyOutcome = 'applied' | 'unchanged';

export interface ApplierOptions {
  /** How long a remembered apply stands before it is sent again anyway (drift correction). */
  rememberMs?: number;
  now?: () => number;
}

/**
 * Server-side apply with one field manager (force: the operator owns these fields). Each object
 * carries a hash of what was applied; the same hash again within `rememberMs` sends nothing, so a
 * reconcile triggered by a pod change only writes the objects that change (the ConfigMap).
 * `force` sends everything: resyncs and edits by others to owned objects use it to undo drift.
 */
export class Applier {
  private readonly applied = new Map<string, { hash: string; at: number }>();
  private readonly rememberMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: KubeClient,
    options: ApplierOptions = {},
  ) {
    this.rememberMs = options.rememberMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async apply<T extends KubernetesObject>(obj: T, force = false): Promise<ApplyOutcome> {
    const path = objectPath(obj);
    const hash = createHash('sha256').update(canonicalJson(obj)).digest('hex').slice(0, 16);
    const last = this.applied.get(path);
    if (!force && last?.hash === hash && this.now() - last.at < this.rememberMs) return 'unchanged';
    const body = { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata?.annotations, [ANNOTATIONS.appliedHash]: hash } } };
    await this.client.request({ method: 'PATCH', path, query: { fieldManager: FIELD_MANAGER, force: true }, body, contentType: PATCH.apply });
    this.applied.set(path, { hash, at: this.now() });
    return 'applied';
  }

  /** Forget what was applied under a path prefix (a deleted router's namespace/name). */
  forget(predicate: (path: string) => boolean): void {
    for (const path of this.applied.keys()) if (predicate(path)) this.applied.delete(path);
  }
}
