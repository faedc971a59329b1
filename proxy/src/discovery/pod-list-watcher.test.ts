import { describe, expect, it } from '@jest/globals';
import type { KubeClient } from '@vllm-router/common';
import { podListWatcher } from './k8s-pod-source.js';

/** Records the query of each watch the list-watcher opens, without an API server. */
function recordingClient(queries: Array<Record<string, unknown>>): KubeClient {
  const client = {
    stream: async (request: { query: Record<string, unknown> }) => {
      queries.push(request.query);
    },
  };
  return client as unknown as KubeClient;
}

describe('podListWatcher (--k8s-watcher-timeout-seconds)', () => {
  const watchOnce = async (timeoutSeconds?: number) => {
    const queries: Array<Record<string, unknown>> = [];
    const lw = podListWatcher(recordingClient(queries), 'llm', 'app=vllm', timeoutSeconds);
    await lw.watch('42', () => undefined, new AbortController().signal, () => undefined);
    return queries[0]!;
  };

  it('asks the API server to end each watch within the given seconds (spread down to 80% of it)', async () => {
    const q = await watchOnce(60);
    expect(q).toMatchObject({ watch: true, resourceVersion: '42', labelSelector: 'app=vllm' });
    expect(q.timeoutSeconds).toBeGreaterThanOrEqual(48);
    expect(q.timeoutSeconds).toBeLessThanOrEqual(60);
  });

  it('keeps the default of about five minutes for 0, the reference default', async () => {
    const q = await watchOnce(0);
    expect(q.timeoutSeconds).toBeGreaterThanOrEqual(240);
    expect(q.timeoutSeconds).toBeLessThanOrEqual(300);
  });
});
