import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson } from '../helpers/http.js';
import { runRouterCli, spawnRouter, type RouterProcess } from '../helpers/process.js';
import { MODEL, REQUEST_AND_ENDPOINT, SESSION_AND_ENDPOINT, SESSION_KEY, routingLines, staticE2eLine } from './command-lines.js';

/** The e2e test's request: a completion with the request id as X-Request-Id and as the session key. */
async function sendRequest(router: RouterProcess, requestId: string, prompt: string): Promise<number> {
  const res = await fetch(`${router.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer dummy', 'x-request-id': requestId, [SESSION_KEY]: requestId },
    body: JSON.stringify({ model: MODEL, prompt, temperature: 0.7, max_tokens: 10 }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** request id (or session id) -> the endpoints its routing lines name, in order. */
function endpointsBy(log: string, pattern: RegExp): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of routingLines(log)) {
    const m = pattern.exec(line);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe("the reference's static-discovery e2e job, against vllm-router", () => {
  let engines: EngineSim[];
  let pdLabelFlags: boolean;
  const started: RouterProcess[] = [];

  beforeAll(async () => {
    engines = await Promise.all([
      startEngineSim({ engineId: 'backend1', host: '127.0.0.2', models: [MODEL] }),
      startEngineSim({ engineId: 'backend2', host: '127.0.0.3', models: [MODEL] }),
    ]);
    // The job also passes --prefill-model-labels/--decode-model-labels (disaggregated prefill);
    // they are on the command line whenever this build knows them.
    pdLabelFlags = (await runRouterCli(['--help'])).output.includes('--prefill-model-labels');
  });

  afterAll(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await Promise.all(engines.map((e) => e.close()));
  });

  const startFor = async (logic: string) => {
    const router = await spawnRouter(staticE2eLine(0, engines.map((e) => e.url), logic, pdLabelFlags));
    started.push(router);
    return router;
  };

  it('roundrobin: consecutive requests go to different endpoints, as the log shows', async () => {
    const router = await startFor('roundrobin');
    const ids = Array.from({ length: 10 }, () => randomUUID());
    for (const id of ids) expect(await sendRequest(router, id, `This is request ${id}. Please respond briefly.`)).toBe(200);
    await eventually(() => endpointsBy(router.output(), REQUEST_AND_ENDPOINT).size >= ids.length);
    const byId = endpointsBy(router.output(), REQUEST_AND_ENDPOINT);
    const endpoints = ids.map((id) => byId.get(id)?.[0]);
    expect(endpoints.every((e) => e !== undefined)).toBe(true);
    for (let i = 1; i < endpoints.length; i++) expect(endpoints[i]).not.toBe(endpoints[i - 1]);
    expect(new Set(endpoints)).toEqual(new Set(engines.map((e) => e.url)));
  });

  it('session: every request of a session goes to one endpoint', async () => {
    const router = await startFor('session');
    const sessions = Array.from({ length: 8 }, () => randomUUID());
    for (const s of sessions) for (let j = 0; j < 5; j++) expect(await sendRequest(router, s, 'Hello!')).toBe(200);
    await eventually(() => routingLines(router.output()).length >= sessions.length * 5);
    const bySession = endpointsBy(router.output(), SESSION_AND_ENDPOINT);
    for (const s of sessions) {
      expect(bySession.get(s)).toHaveLength(5);
      expect(new Set(bySession.get(s))).toHaveProperty('size', 1);
    }
    // Consistent hashing over two engines spreads eight sessions over both.
    expect(new Set(sessions.map((s) => bySession.get(s)![0]))).toHaveProperty('size', 2);
  });

  it('prefixaware: prompts that extend a prefix stay on one endpoint, unrelated ones spread', async () => {
    const router = await startFor('prefixaware');
    const chunk = (c: string) => c.repeat(128);
    const success = [
      [chunk('1'), chunk('1') + chunk('2'), chunk('1') + chunk('2') + chunk('3')],
      [chunk('2') + chunk('3') + chunk('4'), chunk('2') + chunk('3'), chunk('2')],
      [chunk('5'), chunk('5') + chunk('6'), chunk('5') + chunk('6') + chunk('7')],
      [chunk('8'), chunk('8') + chunk('9'), chunk('8') + chunk('9') + chunk('10')],
    ];
    const failure = [[chunk('1'), chunk('2'), chunk('5'), chunk('8')]];
    const ids = (groups: string[][]) => groups.map(() => randomUUID());
    const successIds = ids(success);
    const failureIds = ids(failure);
    for (const [groups, groupIds] of [[success, successIds], [failure, failureIds]] as const)
      for (let g = 0; g < groups.length; g++) for (const sample of groups[g]!) for (let k = 0; k < 5; k++) expect(await sendRequest(router, groupIds[g]!, sample)).toBe(200);
    await eventually(() => routingLines(router.output()).length >= (success.length * 3 + 4) * 5);
    const byId = endpointsBy(router.output(), REQUEST_AND_ENDPOINT);
    const successEndpoints = new Set<string>();
    for (const id of successIds) {
      expect(new Set(byId.get(id))).toHaveProperty('size', 1);
      successEndpoints.add(byId.get(id)![0]!);
    }
    const failureEndpoints = new Set(byId.get(failureIds[0]!));
    if (successEndpoints.size === 2) expect(failureEndpoints.size).toBeGreaterThanOrEqual(2);
    else expect(failureEndpoints.size).toBe(1);
  });

  it('kvaware: serves requests (the job only checks that it works) and answers health, models and chat', async () => {
    const router = await startFor('kvaware');
    expect(await sendRequest(router, randomUUID(), 'Hello!')).toBe(200);
    expect((await getJson(`${router.url}/health`)).status).toBe(200);
    const models = (await getJson(`${router.url}/v1/models`)).json as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toContain(MODEL);
    const chat = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 10 }),
    });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { choices: unknown[] }).choices.length).toBe(1);
  });

  it('writes each routing line in the reference\'s words, with the time and the process time', async () => {
    const router = started[0]!;
    const line = routingLines(router.output())[0]!;
    expect(line).toMatch(/Routing request [0-9a-f-]{36} with session id [0-9a-f-]{36} to http:\/\/127\.0\.0\.[23]:\d+ at \d{10}\.\d{6}, process time = \d+\.\d{4}$/);
  });
});
