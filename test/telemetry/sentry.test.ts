import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually } from '../helpers/http.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { startSentryReceiver, type SentryReceiver } from './sentry-receiver.js';

describe('Sentry (--sentry-dsn, --sentry-traces-sample-rate) with the official Node SDK, into a local envelope endpoint', () => {
  let receiver: SentryReceiver;
  let engine: EngineSim;
  let router: RouterProcess;
  let client: OpenAI;

  beforeAll(async () => {
    receiver = await startSentryReceiver();
    engine = await startEngineSim({ engineId: 'e', host: '127.0.0.2', models: ['m1'] });
    router = await spawnRouter([
      '--service-discovery', 'static',
      // m2's engine is not listening: requests for it fail at the router with 502.
      '--static-backends', `${engine.url},http://127.0.0.3:9`, '--static-models', 'm1,m2',
      '--routing-logic', 'roundrobin',
      '--sentry-dsn', receiver.dsn, '--sentry-traces-sample-rate', '1', '--sentry-profile-session-sample-rate', '0',
      '--max-instance-failover-reroute-attempts', '0',
      // The dead engine must be tried (a 502), not ejected by its first failed scrape (a 503).
      '--no-outlier-detection',
    ]);
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([engine?.close(), receiver?.close()]);
  });

  it('sends each sampled request as a transaction with a span for the engine call', async () => {
    await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'sentry-ok-1' } });
    type SentrySpan = { name: string; span_id: string; parent_span_id?: string; is_segment: boolean; status: string; attributes: Record<string, { value: unknown }> };
    const spans = () => receiver.items().filter((i) => i.type === 'span').map((i) => i.payload as unknown as SentrySpan);
    let root: SentrySpan | undefined;
    await eventually(() => (root = spans().find((s) => s.is_segment && s.attributes['vllm.request_id']?.value === 'sentry-ok-1')) !== undefined, 10_000);
    expect(root!.name).toBe('POST /v1/chat/completions');
    expect(root!.status).toBe('ok');
    expect(root!.attributes['sentry.op']?.value).toBe('http.server');
    expect(root!.attributes['vllm.model']?.value).toBe('m1');
    expect(root!.attributes['vllm.backend_url']?.value).toBe(engine.url);
    const call = spans().find((s) => s.parent_span_id === root!.span_id);
    expect(call).toMatchObject({ name: `POST ${engine.url}/v1/chat/completions`, is_segment: false });
    expect(call!.attributes['sentry.op']?.value).toBe('http.client');
  });

  it('reports a request the router failed (engine unreachable) as an error event naming the request', async () => {
    await expect(client.chat.completions.create({ model: 'm2', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'sentry-fail-1' } })).rejects.toMatchObject({ status: 502 });
    let event: Record<string, unknown> | undefined;
    await eventually(() => (event = receiver.items().find((i) => i.type === 'event' && (i.payload.tags as Record<string, string> | undefined)?.request_id === 'sentry-fail-1')?.payload) !== undefined, 10_000);
    expect(event!.tags).toMatchObject({ model: 'm2', status: '502', path: '/v1/chat/completions' });
    expect(event!.release).toMatch(/^vllm-router@\d+\.\d+\.\d+$/);
    const values = (event!.exception as { values: Array<{ type: string; value: string }> }).values;
    expect(values[0]).toMatchObject({ type: 'ProxyError', value: expect.stringMatching(/Could not reach an engine for "m2"/) });
  });
});
