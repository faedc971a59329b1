import type { V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { EngineModelCache, fetchEngineModels, type KubeClient, type Logger } from '@vllm-router/common';
import { ANNOTATIONS } from '../api/constants.js';
import type { VLLMRouter } from '../api/types.js';
import type { Applier } from '../kube/applier.js';
import type { EventRecorder } from '../kube/event-recorder.js';
import { writeStatus } from '../kube/status-writer.js';
import { desired, type Desired } from '../reconcile/desired.js';
import { engineModelRefs } from '../reconcile/engines.js';
import { selectorMatches } from '../reconcile/label-selector.js';
import { childNames } from '../reconcile/owner.js';
import { CONDITION, EVENT } from '../reconcile/reasons.js';
import { resolveSpec } from '../reconcile/spec-defaults.js';
import type { ReconcileResult } from './work-queue.js';

/** Read access to an informer's cache. */
export interface Cache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

export interface ReconcilerDeps {
  client: KubeClient;
  caches: { routers: Cache<VLLMRouter>; pods: Cache<V1Pod>; deployments: Cache<V1Deployment>; configMaps: Cache<V1ConfigMap> };
  applier: Applier;
  events: EventRecorder;
  logger: Logger;
  proxyImage: string;
  /** Bearer token for engines' GET /v1/models (VLLM_API_KEY). */
  engineApiKey?: string;
  now?: () => number;
}

export const splitKey = (key: string): [string, string] => {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
};

/**
 * One level-triggered pass over one VLLMRouter, in a fixed order: read it and its pods from the
 * caches (gone means done: owner references let the garbage collector remove the children);
 * learn models; compute desired(); apply the objects; record events for what changed; write
 * status. Safe to run any number of times.
 */
export class Reconciler {
  private readonly modelCaches = new Map<string, { cache: EngineModelCache; timeoutMs: number }>();
  private readonly now: () => number;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async reconcile(key: string, force = false): Promise<ReconcileResult> {
    const [namespace, name] = splitKey(key);
    const { caches } = this.deps;
    const router = caches.routers.get(namespace, name);
    if (!router || router.metadata.deletionTimestamp) {
      this.forget(key);
      return;
    }
    const spec = resolveSpec(router, this.deps.proxyImage);
    const selector = spec.engines?.selector;
    const pods = selector ? caches.pods.list(namespace).filter((p) => selectorMatches(selector, p.metadata?.labels)) : [];
    const lookups = await this.modelCache(key, spec.engines?.models.timeoutMs ?? 2000).lookup(engineModelRefs(spec, pods));
    const names = childNames(name);
    const deployment = caches.deployments.get(namespace, names.deployment);
    const published = caches.configMaps.get(namespace, names.configMap)?.metadata?.annotations?.[ANNOTATIONS.revision];

    const result = desired(router, pods, {
      proxyImage: this.deps.proxyImage,
      models: lookups.results,
      ...(deployment ? { deployment } : {}),
      ...(published ? { publishedRevision: published } : {}),
      now: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    for (const obj of result.objects) await this.deps.applier.apply(obj, force);
    await this.recordChanges(router, result);
    const wrote = await writeStatus(this.deps.client, router, result.status);
    if (wrote) this.deps.logger.debug('status updated', { router: key, engines: result.status.engines, revision: result.status.routingRevision });
    return lookups.retryInMs !== undefined ? { requeueAfterMs: lookups.retryInMs } : undefined;
  }

  /** A router is gone: drop what was kept for it. */
  forget(key: string): void {
    this.modelCaches.delete(key);
    const [namespace] = splitKey(key);
    const names = childNames(splitKey(key)[1]);
    const mine = new Set(Object.values(names));
    this.deps.applier.forget((path) => path.includes(`/namespaces/${namespace}/`) && mine.has(decodeURIComponent(path.slice(path.lastIndexOf('/') + 1))));
  }

  private modelCache(key: string, timeoutMs: number): EngineModelCache {
    let entry = this.modelCaches.get(key);
    if (!entry) {
      const holder = { timeoutMs };
      const cache = new EngineModelCache((url) => fetchEngineModels(url, { timeoutMs: holder.timeoutMs, ...(this.deps.engineApiKey ? { apiKey: this.deps.engineApiKey } : {}) }));
      entry = Object.assign(holder, { cache });
      this.modelCaches.set(key, entry);
    }
    entry.timeoutMs = timeoutMs;
    return entry.cache;
  }

  /** Events for engines that became ready or stopped being ready, and for a refused table. */
  private async recordChanges(router: VLLMRouter, result: Desired): Promise<void> {
    const { events } = this.deps;
    const label = (e: { pod?: string; url: string }) => e.pod ?? e.url;
    const before = new Map((router.status?.endpoints ?? []).filter((e) => e.ready).map((e) => [label(e), e]));
    const after = new Map((result.status.endpoints ?? []).filter((e) => e.ready).map((e) => [label(e), e]));
    const added = [...after.values()].filter((e) => !before.has(label(e)));
    const removed = [...before.values()].filter((e) => !after.has(label(e)));
    const why = new Map((result.status.endpoints ?? []).map((e) => [label(e), e.reason]));
    if (added.length)
      await events.record(router, 'Normal', EVENT.engineAdded, `ready: ${added.map((e) => `${label(e)} (${e.models.join(',')})`).join(', ')}`);
    if (removed.length)
      await events.record(router, 'Normal', EVENT.engineRemoved, `no longer ready: ${removed.map((e) => `${label(e)} (${why.get(label(e)) ?? 'gone'})`).join(', ')}`);
    const invalid = result.status.conditions?.find((c) => c.type === CONDITION.configValid && c.status === 'False');
    if (invalid) await events.record(router, 'Warning', EVENT.configInvalid, invalid.message);
  }
}
