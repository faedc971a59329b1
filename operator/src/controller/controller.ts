import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { Informer, isKubeError, kubeListWatcher, type InformerHandlers, type KubeClient, type Logger } from '@vllm-router/common';
import { FIELD_MANAGER, GROUP, KIND, LABELS } from '../api/constants.js';
import type { VLLMRouter } from '../api/types.js';
import { Applier } from '../kube/applier.js';
import { EventRecorder } from '../kube/event-recorder.js';
import { collectionPath, routerCollection } from '../kube/paths.js';
import { selectorMatches } from '../reconcile/label-selector.js';
import { EVENT } from '../reconcile/reasons.js';
import type { OperatorMetrics } from '../server/operator-metrics.js';
import { touchedByOthers } from './drift.js';
import { Reconciler } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  /** Namespace to watch; '' for all. */
  namespace: string;
  proxyImage: string;
  workers: number;
  /** Every router is reconciled (and every owned object re-applied) at least this often. */
  resyncMs: number;
  engineApiKey?: string;
  /** Names this replica in events. */
  identity: string;
}

const keyOf = (obj: KubernetesObject): string => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

/** `namespace/name` of the VLLMRouter controlling an object, if one does. */
function ownerKey(obj: KubernetesObject): string | undefined {
  const owner = obj.metadata?.ownerReferences?.find((o) => o.controller && o.kind === KIND && o.apiVersion.startsWith(`${GROUP}/`));
  return owner ? `${obj.metadata?.namespace ?? ''}/${owner.name}` : undefined;
}

/**
 * Informers on VLLMRouters, pods, and the ConfigMaps, Deployments and Services the operator owns,
 * feeding one work queue of router keys. Informers run on every replica (a new leader starts warm);
 * the queue runs only while this replica leads.
 */
export class Controller {
  readonly routers: Informer<VLLMRouter>;
  readonly pods: Informer<V1Pod>;
  readonly deployments: Informer<V1Deployment>;
  readonly configMaps: Informer<V1ConfigMap>;
  readonly services: Informer<V1Service>;
  readonly queue: WorkQueue;
  readonly reconciler: Reconciler;
  /** Keys whose next reconcile re-applies every object (resync, or someone edited an owned object). */
  private readonly forced = new Set<string>();
  private readonly events: EventRecorder;

  constructor(
    client: KubeClient,
    options: ControllerOptions,
    private readonly logger: Logger,
    private readonly metrics: OperatorMetrics,
  ) {
    const ns = options.namespace;
    const managed = `${LABELS.managedBy}=${FIELD_MANAGER}`;
    const informer = <T extends KubernetesObject>(resource: string, path: string, labelSelector?: string) =>
      new Informer<T>(kubeListWatcher<T>(client, { path, ...(labelSelector ? { labelSelector } : {}) }), { resyncMs: options.resyncMs }).handle(this.informerHealth(resource));
    this.routers = informer<VLLMRouter>('vllmrouters', routerCollection(ns));
    this.pods = informer<V1Pod>('pods', collectionPath('v1', 'Pod', ns));
    this.deployments = informer<V1Deployment>('deployments', collectionPath('apps/v1', 'Deployment', ns), managed);
    this.configMaps = informer<V1ConfigMap>('configmaps', collectionPath('v1', 'ConfigMap', ns), managed);
    this.services = informer<V1Service>('services', collectionPath('v1', 'Service', ns), managed);

    this.events = new EventRecorder(client, { instance: options.identity, onError: (err) => {
        // A namespace being deleted refuses new Events: nothing is wrong, its routers are going too.
        if (String(err).includes('because it is being terminated')) logger.debug('event not recorded: namespace terminating', { error: String(err) });
        else logger.warn('could not record event', { error: String(err) });
      } });
    this.reconciler = new Reconciler({
      client,
      caches: { routers: this.routers, pods: this.pods, deployments: this.deployments, configMaps: this.configMaps },
      applier: new Applier(client, { rememberMs: options.resyncMs }),
      events: this.events,
      logger,
      proxyImage: options.proxyImage,
      ...(options.engineApiKey ? { engineApiKey: options.engineApiKey } : {}),
    });
    this.queue = new WorkQueue((key) => this.reconcileOne(key), {
      concurrency: options.workers,
      onDepth: (d) => metrics.queueDepth.set(d),
      onError: (key, err, wait) => logger.warn('reconcile failed; will retry', { router: key, error: err instanceof Error ? err.message : String(err), retry_ms: wait }),
    });
    this.queue.pause(); // until setLeading(true)
    this.wire();
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync()));
  }

  get synced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }

  /** Leading: work the queue, starting with every router; not leading: hold the queue. */
  setLeading(leading: boolean): void {
    this.metrics.leader.set(leading ? 1 : 0);
    if (!leading) return this.queue.pause();
    void this.waitForSync().then(() => {
      for (const r of this.routers.list()) this.queue.add(keyOf(r));
      this.queue.resume();
    });
  }

  async stop(): Promise<void> {
    await this.queue.shutDown();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private get informers(): Informer<KubernetesObject>[] {
    return [this.routers, this.pods, this.deployments, this.configMaps, this.services] as Informer<KubernetesObject>[];
  }

  private async reconcileOne(key: string) {
    const force = this.forced.delete(key);
    const stopTimer = this.metrics.duration.startTimer();
    try {
      const result = await this.reconciler.reconcile(key, force);
      this.metrics.reconciles.inc({ result: result?.requeueAfterMs !== undefined ? 'requeue' : 'success' });
      return result;
    } catch (err) {
      if (force) this.forced.add(key);
      const code = (err as { code?: unknown }).code;
      this.metrics.reconciles.inc({ result: 'error' });
      this.metrics.errors.inc({ code: typeof code === 'string' ? code : 'unknown' });
      const [namespace, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const router = this.routers.get(namespace, name);
      if (router) await this.events.record(router, 'Warning', EVENT.reconcileFailed, err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      stopTimer();
    }
  }

  /** Pods wake the routers whose selector matches them (before or after the change). */
  private routersSelecting(...pods: V1Pod[]): string[] {
    const keys = new Set<string>();
    for (const pod of pods)
      for (const r of this.routers.list(pod.metadata?.namespace ?? '')) {
        const selector = r.spec?.engines?.selector;
        if (selector && selectorMatches(selector, pod.metadata?.labels)) keys.add(keyOf(r));
      }
    return [...keys];
  }

  private wire(): void {
    const add = (key: string | undefined, force = false) => {
      if (!key) return;
      if (force) this.forced.add(key);
      this.queue.add(key);
    };
    this.routers.handle({
      add: (r) => add(keyOf(r), true),
      // Status writes come back as updates: only spec (generation) or deletion changes need a pass.
      update: (r, old) => {
        if (r.metadata.generation !== old.metadata.generation || r.metadata.deletionTimestamp !== old.metadata.deletionTimestamp) add(keyOf(r));
      },
      delete: (r) => {
        this.queue.forget(keyOf(r));
        this.reconciler.forget(keyOf(r));
      },
      resync: (r) => add(keyOf(r), true),
    });
    this.pods.handle({
      add: (p) => this.routersSelecting(p).forEach((k) => add(k)),
      update: (p, old) => this.routersSelecting(p, old).forEach((k) => add(k)),
      delete: (p) => this.routersSelecting(p).forEach((k) => add(k)),
    });
    const owned: InformerHandlers<KubernetesObject> = {
      add: (o) => add(ownerKey(o)),
      update: (o) => add(ownerKey(o), touchedByOthers(o)),
      delete: (o) => add(ownerKey(o), true),
    };
    this.deployments.handle(owned);
    this.configMaps.handle(owned);
    this.services.handle(owned);
  }

  private informerHealth(resource: string): InformerHandlers<KubernetesObject> {
    return {
      add: () => undefined,
      update: () => undefined,
      delete: () => undefined,
      synced: () => this.metrics.relists.inc({ resource }),
      error: (err, retryInMs) => {
        this.metrics.watchErrors.inc({ resource });
        const hint = resource === 'vllmrouters' && isKubeError(err, 'not_found') ? 'the VLLMRouter CRD is not installed (kubectl apply -f crds/)' : undefined;
        this.logger.warn('list/watch failed; retrying', { resource, error: err.message, retry_ms: retryInMs, ...(hint ? { hint } : {}) });
      },
    };
  }
}
