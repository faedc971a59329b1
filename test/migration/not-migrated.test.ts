import { afterEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { eventually } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log-capture.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { accessLine, metricValue, MODEL, rawEvents, readChatStream, readTextStream, startFleet, type Fleet } from './harness.js';
import { chatChunk, startScriptedEngine, type ScriptedEngine } from './scripted-engine.js';

const messages = [{ role: 'user' as const, content: 'hello' }];

/** What cannot be carried over is not migrated: the client's stream ends as it would without migration. */
describe('answers that are not migrated', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  const chatStream = (f: Fleet, extra: Record<string, unknown> = {}) =>
    f.client.chat.completions.create({ model: MODEL, messages, stream: true, ...extra } as OpenAI.ChatCompletionCreateParamsStreaming);

  it('--request-migration-attempts 0: the stream is cut, as before migration existed', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}], router: { requestMigrationAttempts: 0 } });
    await expect(readChatStream(await chatStream(fleet))).rejects.toThrow();
    expect(fleet.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
  });

  it.each([
    ['n > 1', { n: 2 }, 'n'],
    ['logprobs', { logprobs: true, top_logprobs: 2 }, 'logprobs'],
    ['a JSON response format', { response_format: { type: 'json_object' } }, 'structured_output'],
  ])('%s, once content was sent: cut, counted as unsupported', async (_what, extra, detail) => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}] });
    await expect(readChatStream(await chatStream(fleet, extra))).rejects.toThrow();
    expect(fleet.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason: 'connection_lost', outcome: 'unsupported' })).toBe(1);
    await eventually(() => fleet!.log.some((l) => l.includes(' path=/v1/chat/completions ')));
    expect(accessLine(fleet, '/v1/chat/completions')).toContain(` error=upstream_interrupted not_migrated=${detail}`);
  });

  it('completions with echo, once content was sent: cut', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}] });
    await expect(readTextStream(await fleet.client.completions.create({ model: MODEL, prompt: 'x', echo: true, stream: true }))).rejects.toThrow();
  });

  it('an error event that is not migrated reaches the client with its [DONE], as the engine sent them', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4, deathMode: 'error-event' }, {}] });
    const { events, broke } = await rawEvents(`${fleet.router.url}/v1/chat/completions`, { model: MODEL, messages, stream: true, n: 2 });
    expect(broke).toBe(false);
    expect(JSON.parse(events.at(-2)!)).toMatchObject({ error: { type: 'InternalServerError' } });
    expect(events.at(-1)).toBe('[DONE]');
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { reason: 'error_event', outcome: 'unsupported' })).toBe(1);
  });

  it('the engine that took over dies too and no attempt is left: cut, counted', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, { dieAfterChunks: 3 }] });
    await expect(readChatStream(await chatStream(fleet))).rejects.toThrow();
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { outcome: 'failed' })).toBe(1);
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { outcome: 'exhausted' })).toBe(1);
  });

  it('no other engine serves the model: cut, counted as no_engine', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }] });
    await expect(readChatStream(await chatStream(fleet))).rejects.toThrow();
    expect(await metricValue(fleet.router, 'vllm_router_request_migrations_total', { outcome: 'no_engine' })).toBe(1);
  });

  it('a request pinned to one engine (?id=) stays on it', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}] });
    const pinned = new OpenAI({ baseURL: fleet.router.baseURL, apiKey: 'x', maxRetries: 0, defaultQuery: { id: 'e0' } });
    await expect(readChatStream(await pinned.chat.completions.create({ model: MODEL, messages, stream: true }))).rejects.toThrow();
    expect(fleet.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
  });
});

describe('tool-call and reasoning deltas are not carried over', () => {
  let scripted: ScriptedEngine | undefined;
  let healthy: EngineSim | undefined;
  let router: RunningRouter | undefined;
  afterEach(async () => {
    await router?.close();
    await scripted?.close();
    await healthy?.close();
  });

  it.each([
    ['tool call', { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":' } }] }, 'tool_calls'],
    ['reasoning', { reasoning_content: 'Let me think' }, 'reasoning'],
  ])('a %s delta, then the engine dies: cut, not continued elsewhere', async (_what, delta, detail) => {
    scripted = await startScriptedEngine('127.0.0.21', [chatChunk({ role: 'assistant', content: '' }), chatChunk(delta)]);
    healthy = await startEngineSim({ engineId: 'healthy', host: '127.0.0.22', models: [MODEL] });
    const { logger, lines: log } = capturingLogger();
    router = await startRouter({ logger, engines: [{ url: scripted.url, id: 'scripted', models: [MODEL] }, { url: healthy.url, id: 'healthy', models: [MODEL] }] }, { requestMigrationAttempts: 1 });
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];
    await expect(readChatStream(await client.chat.completions.create({ model: MODEL, messages, tools, stream: true }))).rejects.toThrow();
    expect(healthy.stats.requests['/v1/chat/completions']).toBeUndefined();
    expect(await metricValue(router, 'vllm_router_request_migrations_total', { outcome: 'unsupported' })).toBe(1);
    await eventually(() => log.some((l) => l.includes(`not_migrated=${detail}`)));
  });
});
