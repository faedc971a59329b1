import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { eventually } from '../helpers/http.js';
import { spawnRouter } from '../helpers/process.js';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { readChatStream } from './harness.js';

describe('the vllm-router program migrates by default', () => {
  let dying: EngineSim;
  let healthy: EngineSim;
  beforeAll(async () => {
    dying = await startEngineSim({ engineId: 'dying', host: '127.0.0.31', models: ['m1'], dieAfterChunks: 3, outputTokens: 8, fingerprintChunks: true });
    healthy = await startEngineSim({ engineId: 'healthy', host: '127.0.0.32', models: ['m1'], outputTokens: 8, fingerprintChunks: true });
  });
  afterAll(async () => {
    await Promise.all([dying.close(), healthy.close()]);
  });

  it('continues a broken stream on the other engine, says so in the access line and in /metrics', async () => {
    const router = await spawnRouter(['--service-discovery', 'static', '--static-backends', `${dying.url},${healthy.url}`, '--static-models', 'm1,m1', '--routing-logic', 'roundrobin']);
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const seen = await readChatStream(await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true }));
      expect(seen.text).toBe('the old fox ran far and hid but');
      expect([...new Set(seen.fingerprints)]).toEqual(['dying', 'healthy']);
      await eventually(() => router.output().includes('path=/v1/chat/completions'));
      expect(router.output()).toMatch(new RegExp(`request id=\\w+ method=POST path=/v1/chat/completions model=m1 engine=${dying.url} status=200 .*migrated=${dying.url}->${healthy.url}\\(connection_lost\\)`));
      const metrics = await fetch(`${router.url}/metrics`).then((r) => r.text());
      expect(metrics).toContain('vllm_router_request_migrations_total{model="m1",reason="connection_lost",outcome="completed"} 1');
    } finally {
      await router.stop();
    }
  });
});
