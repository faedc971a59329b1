import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import OpenAI from 'openai';
import { countTokens, renderChatPrompt, startEngineSim, type EngineSim, type EngineSimOptions } from '../sim/index.js';
import { eventually, getJson, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';

/** `tokens` prompt tokens (4 characters each at the simulator's rate), distinct per tag. */
const longText = (tag: string, tokens = 1000) => `${tag}:`.padEnd(tokens * 4, ` ${tag} words`);
/** Prompt tokens of a one-message chat, as the simulator counts them. */
const chatTokens = (content: string) => countTokens(renderChatPrompt([{ role: 'user', content }]));
type Body = Record<string, unknown>;

/** The JSON bodies a simulator received on a path, oldest first. */
const bodiesOf = (sim: EngineSim, path = '/v1/chat/completions') => sim.stats.lastRequests.filter((r) => r.path === path).map((r) => r.body as Body);
const countOf = (sim: EngineSim, path = '/v1/chat/completions') => sim.stats.requests[path] ?? 0;

/** Prefill engines p-0.., decode engines d-0.., each a simulator bound to its own loopback address. */
async function startFleet(prefill: number, decode: number, options: EngineSimOptions = {}) {
  const prefills: EngineSim[] = [];
  const decodes: EngineSim[] = [];
  for (let i = 0; i < prefill; i++)
    prefills.push(await startEngineSim({ engineId: `p-${i}`, host: `127.0.0.${2 + i}`, models: ['m'], role: 'prefill', outputTokens: 5, ...options }));
  for (let i = 0; i < decode; i++)
    decodes.push(await startEngineSim({ engineId: `d-${i}`, host: `127.0.0.${20 + i}`, models: ['m'], role: 'decode', outputTokens: 5, ...options }));
  const engines = [...prefills.map((s) => ({ id: s.engineId, url: s.url, models: ['m'], role: 'prefill' as const })), ...decodes.map((s) => ({ id: s.engineId, url: s.url, models: ['m'], role: 'decode' as const }))];
  return { prefills, decodes, engines, close: () => Promise.all([...prefills, ...decodes].map((s) => s.close())) };
}

describe('disaggregated_prefill_orchestrated (vLLM kv_transfer_params)', () => {
  let fleet: Awaited<ReturnType<typeof startFleet>>;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    fleet = await startFleet(2, 2, { prefillMsPerToken: 0.05 });
    // An engine without a role (here serving another model) is used by neither leg.
    router = await startRouter({ engines: [...fleet.engines, { id: 'plain', url: 'http://127.0.0.30:9', models: ['other'] }], routingLogic: 'disaggregated_prefill_orchestrated' });
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await router.close();
    await fleet.close();
  });

  const servedBy = (sims: EngineSim[], before: number[]) => sims.findIndex((s, i) => countOf(s) > before[i]!);
  const counts = (sims: EngineSim[]) => sims.map((s) => countOf(s));

  it('prefills with max_tokens 1 and no stream, then decodes the original request with the params exactly as returned', async () => {
    const p0 = counts(fleet.prefills);
    const d0 = counts(fleet.decodes);
    const prompt = longText('first');
    const reply = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: prompt }],
      max_tokens: 4,
      stream_options: undefined,
      // vLLM's extra sampling fields ride along in the body.
      ...({ min_tokens: 2, kv_transfer_params: { remote_host: 'attacker.example' } } as object),
    });
    expect(reply.choices[0]!.message.content).toBe('the old fox ran');
    expect(reply.system_fingerprint).toMatch(/^d-/);
    const prefill = fleet.prefills[servedBy(fleet.prefills, p0)]!;
    const decode = fleet.decodes[servedBy(fleet.decodes, d0)]!;
    expect(reply.system_fingerprint).toBe(decode.engineId);

    const sentToPrefill = bodiesOf(prefill).at(-1)!;
    expect(sentToPrefill).toMatchObject({ max_tokens: 1, stream: false, messages: [{ role: 'user', content: prompt }] });
    expect(sentToPrefill.kv_transfer_params).toEqual({ do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null });
    expect(sentToPrefill).not.toHaveProperty('min_tokens');

    const sentToDecode = bodiesOf(decode).at(-1)!;
    expect(sentToDecode).toMatchObject({ max_tokens: 4, min_tokens: 2, messages: [{ role: 'user', content: prompt }] });
    expect(sentToDecode).not.toHaveProperty('stream');
    expect(sentToDecode.kv_transfer_params).toEqual({
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_block_ids: [expect.any(Array)],
      remote_engine_id: prefill.engineId,
      remote_request_id: expect.stringMatching(new RegExp(`^kvx-${prefill.engineId}-`)),
      remote_host: new URL(prefill.url).hostname,
      remote_port: Number(new URL(prefill.url).port),
      tp_size: 1,
    });
    // The decode engine pulled the prompt's KV cache and computed only its last token.
    expect(decode.stats.ttfts.at(-1)).toMatchObject({ transferredTokens: reply.usage!.prompt_tokens - 1 });
    // Usage once: the decode answer's prompt and completion tokens.
    expect(reply.usage).toMatchObject({ prompt_tokens: chatTokens(prompt), completion_tokens: 4, total_tokens: chatTokens(prompt) + 4 });
    // Both legs carry the client's request id.
    const ids = [prefill, decode].map((s) => s.stats.lastRequests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.headers['x-request-id']);
    expect(ids[0]).toEqual(expect.any(String));
    expect(ids[0]).toBe(ids[1]);
  });

  it('streams the decode answer (chat and completions), with usage once when asked for', async () => {
    const content = longText('stream');
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const usages: unknown[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text).toBe('the old fox ran far');
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: chatTokens(content), completion_tokens: 5 })]);

    const completion = await client.completions.create({ model: 'm', prompt: longText('text'), max_tokens: 3 });
    expect(completion.choices[0]!.text).toBe('the old fox');
    expect(completion.system_fingerprint).toMatch(/^d-/);
    const streamed = await client.completions.create({ model: 'm', prompt: longText('text-stream'), stream: true });
    let streamedText = '';
    for await (const chunk of streamed) streamedText += chunk.choices[0]?.text ?? '';
    expect(streamedText).toBe('the old fox ran far');
  });

  it('counts the prompt tokens once in the router stats, on the decode engine', async () => {
    const stats = (id: string) => router.app.stats.requests.view(id).lifetime;
    const prefillTokens = fleet.prefills.reduce((n, s) => n + stats(s.engineId).prompt_tokens, 0);
    const decodeTokens = fleet.decodes.reduce((n, s) => n + stats(s.engineId).prompt_tokens, 0);
    expect(prefillTokens).toBe(0);
    expect(decodeTokens).toBeGreaterThan(0);
    // The prefill engines' stats still see their requests and their time to first byte.
    expect(fleet.prefills.reduce((n, s) => n + stats(s.engineId).finished, 0)).toBeGreaterThanOrEqual(4);
  });

  it('balances prefill engines by prompt affinity and load, and decode engines by load, independently', async () => {
    const p0 = counts(fleet.prefills);
    const d0 = counts(fleet.decodes);
    for (let i = 0; i < 6; i++) await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: longText(`spread-${i}`) }] });
    expect(counts(fleet.prefills).map((n, i) => n - p0[i]!)).toEqual([3, 3]);
    expect(counts(fleet.decodes).map((n, i) => n - d0[i]!)).toEqual([3, 3]);

    // The same prompt again: the prefill engine that holds its prefix, which finds it in its cache.
    const repeat = longText('spread-4');
    const before = counts(fleet.prefills);
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: repeat }] });
    const holder = fleet.prefills.findIndex((s) => bodiesOf(s).some((b) => JSON.stringify(b.messages).includes('spread-4:')));
    expect(counts(fleet.prefills)[holder]).toBe(before[holder]! + 1);
    expect(fleet.prefills[holder]!.stats.ttfts.at(-1)!.cachedTokens).toBeGreaterThan(900);

    // Two long decodes at once go to different decode engines.
    const slow = (tag: string) => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: tag }], max_tokens: 40, ...({ ignore_eos: true } as object) });
    const d1 = counts(fleet.decodes);
    await Promise.all([slow('one'), slow('two')]);
    expect(counts(fleet.decodes).map((n, i) => n - d1[i]!)).toEqual([1, 1]);
  });

  it('shows both choices in /engines, in metrics, and in the response', async () => {
    const engines = (await getJson(`${router.url}/engines`)).json as Array<{ engine_id: string; role?: string }>;
    expect(engines.map((e) => [e.engine_id, e.role])).toEqual([
      ['p-0', 'prefill'],
      ['p-1', 'prefill'],
      ['d-0', 'decode'],
      ['d-1', 'decode'],
      ['plain', undefined],
    ]);
    const metrics = await fetch(`${router.url}/metrics`).then((r) => r.text());
    for (const sim of fleet.prefills) expect(metrics).toContain(`vllm_router_pd_requests_total{server="${sim.url}",role="prefill",status="2xx"}`);
    for (const sim of fleet.decodes) expect(metrics).toContain(`vllm_router_pd_requests_total{server="${sim.url}",role="decode",status="2xx"}`);
    expect(metrics).toMatch(new RegExp(`vllm_router_pd_prefill_seconds_count\\{server="${fleet.prefills[0]!.url.replace(/\./g, '\\.')}"\\} [1-9]`));
    expect(metrics).toMatch(/vllm:request_latency_seconds_count\{server="http:\/\/127\.0\.0\.2\d:\d+",model="m",status="success"\} [1-9]/);
  });

  it('routes other endpoints and pinned requests as one ordinary exchange', async () => {
    const embedded = await postJson(`${router.url}/v1/embeddings`, { model: 'm', input: 'hello' });
    expect(embedded.status).toBe(200);
    const before = counts(fleet.prefills);
    const pinned = await postJson(`${router.url}/v1/chat/completions?id=p-1`, { model: 'm', messages: [{ role: 'user', content: 'pinned' }] });
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('x-engine-id')).toBe('p-1');
    expect((pinned.json as { kv_transfer_params?: unknown }).kv_transfer_params).toBeUndefined();
    expect(counts(fleet.prefills)[1]).toBe(before[1]! + 1);
  });
});

describe('disaggregated prefill: client aborts reach the engine that is working', () => {
  let fleet: Awaited<ReturnType<typeof startFleet>>;
  let router: RunningRouter;

  beforeAll(async () => {
    // A 1,000-token prompt prefills in a second; decode emits a token every 50 ms.
    fleet = await startFleet(1, 1, { prefillMsPerToken: 1, tokenDelayMs: 50, outputTokens: 40 });
    router = await startRouter({ engines: fleet.engines, routingLogic: 'disaggregated_prefill_orchestrated' });
  });
  afterAll(async () => {
    await router.close();
    await fleet.close();
  });

  it('during the prefill leg: the prefill engine sees the client leave, and no decode starts', async () => {
    const [prefill, decode] = [fleet.prefills[0]!, fleet.decodes[0]!];
    const controller = new AbortController();
    const request = fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: longText('abort-prefill') }], stream: true }),
      signal: controller.signal,
    }).catch((err: Error) => err.name);
    await eventually(() => prefill.stats.running === 1);
    controller.abort();
    expect(await request).toBe('AbortError');
    await eventually(() => prefill.stats.aborted === 1 && prefill.stats.running === 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(countOf(decode)).toBe(0);
    await eventually(() => router.app.core.load.total() === 0);
  });

  it('during the decode leg: the decode engine sees the client leave mid-stream', async () => {
    const decode = fleet.decodes[0]!;
    const response = await fetch(`${router.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'short prompt', stream: true }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    await eventually(() => decode.stats.generationTokens >= 2);
    await reader.cancel();
    await eventually(() => decode.stats.aborted === 1 && decode.stats.running === 0);
    expect(decode.stats.generationTokens).toBeLessThan(40);
    await eventually(() => router.app.core.load.total() === 0);
  });
});

describe('disaggregated_prefill_orchestrated: the params a current vLLM returns reach the decode engine untouched', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** A stand-in engine on loopback: records each JSON body and answers `answer(body)`. */
  async function fakeEngine(host: string, answer: (body: Body) => Body): Promise<{ url: string; bodies: Body[] }> {
    const bodies: Body[] = [];
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        // The router also scrapes GET /metrics; this stand-in has none.
        if (req.method !== 'POST') return void res.writeHead(404).end();
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Body;
        bodies.push(body);
        const payload = JSON.stringify(answer(body));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }).end(payload);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, host, r));
    return { url: `http://${host}:${(server.address() as { port: number }).port}`, bodies };
  }

  it('forwards every field, including ones early examples lack and nested block ids per KV-cache group', async () => {
    const returned = {
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_block_ids: [[1, 2, 3], [7]],
      remote_engine_id: 'a7f3c2',
      remote_request_id: 'cmpl-1234-0',
      remote_host: '10.0.0.7',
      remote_port: 5600,
      remote_num_tokens: 48,
      tp_size: 2,
      pp_size: 1,
      dcp_size: 1,
      transfer_mode: 'pull',
    };
    const completion = (text: string) => ({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }], usage: { prompt_tokens: 40, completion_tokens: 1, total_tokens: 41 } });
    const prefill = await fakeEngine('127.0.0.40', () => ({ ...completion('x'), kv_transfer_params: returned }));
    const decode = await fakeEngine('127.0.0.41', () => completion('decoded'));
    const router = await startRouter({
      engines: [
        { id: 'p', url: prefill.url, models: ['m'], role: 'prefill' },
        { id: 'd', url: decode.url, models: ['m'], role: 'decode' },
      ],
      routingLogic: 'disaggregated_prefill_orchestrated',
    });
    try {
      const r = await postJson(`${router.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 9 });
      expect(r.status).toBe(200);
      expect((r.json as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('decoded');
      expect(prefill.bodies[0]).toMatchObject({ max_tokens: 1, max_completion_tokens: 1, stream: false });
      expect(decode.bodies[0]!.kv_transfer_params).toEqual(returned);
      expect(decode.bodies[0]!.max_completion_tokens).toBe(9);
    } finally {
      await router.close();
    }
  });
});
