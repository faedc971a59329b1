import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, postJson } from '../helpers/http.js';
import { startRouter, tableOf, type RunningRouter } from '../helpers/router.js';

describe('session affinity', () => {
  const sims: EngineSim[] = [];
  let router: RunningRouter;

  const engineFor = async (session: string, via: 'header' | 'body' = 'header'): Promise<string> => {
    const body = { model: 'm1', prompt: 'hi', ...(via === 'body' ? { 'x-user-id': session } : {}) };
    const r = await postJson(`${router.url}/v1/completions`, body, via === 'header' ? { 'x-user-id': session } : {});
    expect(r.status).toBe(200);
    return r.headers.get('x-engine-id')!;
  };

  beforeAll(async () => {
    for (let i = 0; i < 4; i++) sims.push(await startEngineSim({ engineId: `e${i}`, host: `127.0.0.${i + 2}`, models: ['m1'] }));
    router = await startRouter({ routingLogic: 'session', sessionKey: 'x-user-id', engines: sims.slice(0, 3).map((s) => ({ url: s.url, models: ['m1'] })) });
  });

  afterAll(async () => {
    await router.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  it('keeps every request of a session on one engine, and spreads sessions across engines', async () => {
    const owners = new Map<string, string>();
    for (let s = 0; s < 30; s++) owners.set(`user-${s}`, await engineFor(`user-${s}`));
    for (let s = 0; s < 30; s++) expect(await engineFor(`user-${s}`)).toBe(owners.get(`user-${s}`));
    expect(new Set(owners.values()).size).toBe(3);
  });

  it('reads the session id from the JSON body when the header is absent', async () => {
    expect(await engineFor('user-7', 'body')).toBe(await engineFor('user-7', 'header'));
  });

  it('works through the OpenAI SDK with a default header', async () => {
    const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0, defaultHeaders: { 'x-user-id': 'user-3' } });
    const expected = await engineFor('user-3');
    for (let i = 0; i < 3; i++) {
      const r = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'turn' }] });
      expect(r.system_fingerprint).toBe(expected);
    }
  });

  it('without a session id, picks the engine with the fewest requests in flight', async () => {
    sims[0]!.setFailure({ hang: true });
    const stuck = new AbortController();
    const hung = fetch(`${router.url}/v1/completions?id=${encodeURIComponent(sims[0]!.url)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm1', prompt: 'stuck' }),
      signal: stuck.signal,
    }).catch(() => undefined);
    await eventually(() => router.app.core.load.get(sims[0]!.url) === 1);
    sims[0]!.setFailure({ hang: false });
    const picked = new Set<string>();
    for (let i = 0; i < 6; i++) picked.add(await engineFor('', 'body'));
    expect(picked.has('e0')).toBe(false);
    expect(picked.size).toBe(2);
    stuck.abort();
    await hung;
  });

  it('moves only the sessions that the new engine takes when an engine is added', async () => {
    const sessions = Array.from({ length: 60 }, (_, i) => `sess-${i}`);
    const before = new Map<string, string>();
    for (const s of sessions) before.set(s, await engineFor(s));
    router.app.applyTable(tableOf({ routingLogic: 'session', sessionKey: 'x-user-id', engines: sims.map((s) => ({ url: s.url, models: ['m1'] })) }), 'static');
    let moved = 0;
    for (const s of sessions) {
      const now = await engineFor(s);
      if (now !== before.get(s)) {
        moved++;
        expect(now).toBe('e3');
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(sessions.length / 2);
  });
});
