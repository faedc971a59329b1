import { randomBytes } from 'node:crypto';
import type { KubeClient } from '@vllm-router/common';
import { API_VERSION, FIELD_MANAGER, KIND } from '../api/constants.js';
import type { VLLMRouter } from '../api/types.js';
import { collectionPath } from './paths.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** Identifies this replica in reportingInstance. */
  instance: string;
  /** The same reason and message for the same router is not repeated within this window. */
  dedupeMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

const MAX_REMEMBERED = 1000;

/** Kubernetes Events about VLLMRouters (`kubectl describe vllmr` shows them). Never throws. */
export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventRecorderOptions,
  ) {}

  async record(router: VLLMRouter, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    const key = `${router.metadata.uid}|${reason}|${message}`;
    const last = this.recent.get(key);
    if (last !== undefined && now - last < (this.options.dedupeMs ?? 5 * 60_000)) return;
    this.recent.delete(key);
    this.recent.set(key, now);
    if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value as string);

    const namespace = router.metadata.namespace ?? 'default';
    const at = new Date(now).toISOString();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${router.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: API_VERSION,
        kind: KIND,
        name: router.metadata.name,
        namespace,
        uid: router.metadata.uid,
        resourceVersion: router.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: FIELD_MANAGER },
      reportingComponent: FIELD_MANAGER,
      reportingInstance: this.options.instance,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    try {
      await this.client.request({ method: 'POST', path: collectionPath('v1', 'Event', namespace), body: event });
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
