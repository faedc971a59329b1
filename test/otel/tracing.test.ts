import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually } from '../helpers/http.js';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { startCollector, type Collector, type ExportedSpan } from './collector.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('OpenTelemetry tracing (--otel-endpoint) into a real OpenTelemetry Collector', () => {
  let collector: Collector;
  let engine: EngineSim;
  let router: RouterProcess;

  beforeAll(async () => {
    collector = await startCollector();
    engine = await startEngineSim({ engineId: 'traced', host: '127.0.0.2', models: ['m1'] });
    router = await spawnRouter([
      '--service-discovery', 'static', '--static-backends', engine.url, '--static-models', 'm1',
      '--routing-logic', 'prefixaware',
      '--otel-endpoint', collector.endpoint, '--otel-service-name', 'router-under-test',
    ]);
  }, 20 * 60_000);

  afterAll(async () => {
    await router?.stop();
    await Promise.all([engine?.close(), collector?.close()]);
  });

  const spansOf = async (traceId: string, count: number): Promise<ExportedSpan[]> => {
    let spans: ExportedSpan[] = [];
    await eventually(async () => (spans = (await collector.spans()).filter((s) => s.traceId === traceId)).length >= count, 15_000);
    return spans;
  };

  it('continues the client\'s traceparent with spans for the request, the routing decision and the engine call', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0, defaultHeaders: { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01` } });
    await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'a prompt long enough to hash into a block or two of prefix. '.repeat(4) }] });

    const spans = await spansOf(TRACE_ID, 3);
    const request = spans.find((s) => s.name === 'router /v1/chat/completions')!;
    const decision = spans.find((s) => s.name === 'routing decision')!;
    const call = spans.find((s) => s.name === 'process_request')!;
    expect(request).toMatchObject({ kind: 2, parentSpanId: CLIENT_SPAN, serviceName: 'router-under-test' });
    expect(request.attributes).toMatchObject({ 'http.method': 'POST', 'vllm.model': 'm1', 'vllm.backend_url': engine.url, 'vllm.routing_logic': 'prefixaware', 'http.status_code': 200 });
    expect(decision).toMatchObject({ kind: 1, parentSpanId: request.spanId });
    expect(decision.attributes).toMatchObject({ 'vllm.model': 'm1', 'vllm.backend_url': engine.url, 'vllm.routing_logic': 'prefixaware', 'vllm.prefix_match_chars': 0 });
    expect(Number(decision.attributes['vllm.prefix_hashed_chars'])).toBeGreaterThan(0);
    expect(call).toMatchObject({ kind: 3, parentSpanId: request.spanId });
    expect(call.attributes).toMatchObject({ 'http.url': `${engine.url}/v1/chat/completions`, 'http.status_code': 200 });

    // The engine received the call span's context as its W3C traceparent.
    const seen = engine.stats.lastRequests.filter((r) => r.path === '/v1/chat/completions').pop()!;
    expect(seen.headers.traceparent).toBe(`00-${TRACE_ID}-${call.spanId}-01`);
  });

  it('records the prefix match of a repeated prompt on the routing decision', async () => {
    const traceId = 'a'.repeat(31) + '1';
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0, defaultHeaders: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` } });
    await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'a prompt long enough to hash into a block or two of prefix. '.repeat(4) }] });
    const decision = (await spansOf(traceId, 3)).find((s) => s.name === 'routing decision')!;
    expect(Number(decision.attributes['vllm.prefix_match_chars'])).toBeGreaterThan(0);
    expect(decision.attributes['vllm.prefix_match_ratio']).toBe(1);
  });

  it('starts a new trace when the client sends none, and marks a failed engine call as an error', async () => {
    const before = new Set((await collector.spans()).map((s) => s.traceId));
    engine.setFailure({ errorRate: 1 });
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      await expect(client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 500 });
    } finally {
      engine.setFailure({ errorRate: 0 });
    }
    let call: ExportedSpan | undefined;
    await eventually(async () => (call = (await collector.spans()).find((s) => s.name === 'process_request' && !before.has(s.traceId))) !== undefined, 15_000);
    expect(call!.attributes['http.status_code']).toBe(500);
    expect(call!.status?.code).toBe(2);
  });
});
