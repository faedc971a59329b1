import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.js';
import type { ListResult, ListWatcher, WatchEvent } from './informer.js';

export interface ListWatchTarget {
  /** Collection path, e.g. `/api/v1/namespaces/default/pods` or `/api/v1/pods` (all namespaces). */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side end of each watch (default 300 s, shortened at random so many watches spread out). */
  watchTimeoutSeconds?: number;
  /** Page size for lists (default 500). */
  pageSize?: number;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** The ListWatcher of one collection through KubeClient (paged lists; watches with bookmarks). */
export function kubeListWatcher<T extends KubernetesObject>(client: KubeClient, target: ListWatchTarget): ListWatcher<T> {
  const selectors = { labelSelector: target.labelSelector || undefined, fieldSelector: target.fieldSelector || undefined };
  const timeoutSeconds = target.watchTimeoutSeconds ?? 300;
  return {
    async list(signal): Promise<ListResult<T>> {
      const items: T[] = [];
      let next: string | undefined;
      let resourceVersion = '';
      do {
        const page = await client.request<ListBody<T>>({ path: target.path, query: { ...selectors, limit: target.pageSize ?? 500, continue: next }, signal });
        items.push(...(page.items ?? []));
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        next = page.metadata?.continue || undefined;
      } while (next);
      return { items, resourceVersion };
    },
    watch(resourceVersion, onEvent, signal, onOpen) {
      const seconds = Math.max(1, Math.round(timeoutSeconds * (0.8 + Math.random() * 0.2)));
      return client.stream(
        {
          path: target.path,
          query: { ...selectors, watch: true, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: seconds },
          signal,
          timeoutMs: (seconds + 30) * 1000,
        },
        (line) => onEvent(JSON.parse(line) as WatchEvent<T>),
        onOpen,
      );
    },
  };
}
