import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson } from '../helpers/http.js';
import { spawnRouter } from '../helpers/process.js';

describe('the vllm-router program with prefill and decode engines', () => {
  let prefill: EngineSim;
  let decode: EngineSim;

  beforeAll(async () => {
    prefill = await startEngineSim({ engineId: 'p', host: '127.0.0.2', models: ['m'], role: 'prefill' });
    decode = await startEngineSim({ engineId: 'd', host: '127.0.0.3', models: ['m'], role: 'decode' });
  });
  afterAll(async () => {
    await Promise.all([prefill.close(), decode.close()]);
  });

  /** The reference's P/D command line: engines labelled by --static-model-labels, roles by the two label flags. */
  const flags = (logic: string) => [
    '--service-discovery', 'static',
    '--static-backends', `${prefill.url},${decode.url}`,
    '--static-models', 'm,m',
    '--static-model-labels', 'llama-prefill,llama-decode',
    '--prefill-model-labels', 'llama-prefill',
    '--decode-model-labels', 'llama-decode',
    '--routing-logic', logic,
  ];

  it('logs both engines of each request on its access line, and shows the roles on /engines', async () => {
    const router = await spawnRouter(flags('disaggregated_prefill_orchestrated'));
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      expect(reply.system_fingerprint).toBe('d');
      const line = new RegExp(`request id=\\w+ method=POST path=/v1/chat/completions model=m prefill=${prefill.url} engine=${decode.url} status=200 `);
      await eventually(() => line.test(router.output()));
      const engines = (await getJson(`${router.url}/engines`)).json as Array<{ url: string; role: string; labels: Record<string, string> }>;
      expect(engines.map((e) => [e.url, e.role, e.labels.model])).toEqual([
        [prefill.url, 'prefill', 'llama-prefill'],
        [decode.url, 'decode', 'llama-decode'],
      ]);
    } finally {
      await router.stop();
    }
  });

  it('accepts the label flags with another routing logic, which routes to every engine as before', async () => {
    const plain = [
      await startEngineSim({ engineId: 'a', host: '127.0.0.4', models: ['m'] }),
      await startEngineSim({ engineId: 'b', host: '127.0.0.5', models: ['m'] }),
    ];
    const router = await spawnRouter([
      '--service-discovery', 'static',
      '--static-backends', plain.map((s) => s.url).join(','),
      '--static-models', 'm,m',
      '--static-model-labels', 'prefill,decode',
      '--prefill-model-labels', 'prefill',
      '--decode-model-labels', 'decode',
      '--routing-logic', 'roundrobin',
    ]);
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const served = new Set<string>();
      for (let i = 0; i < 2; i++) served.add((await client.completions.create({ model: 'm', prompt: `x${i}` })).system_fingerprint ?? '');
      expect(served).toEqual(new Set(['a', 'b']));
      const engines = (await getJson(`${router.url}/engines`)).json as Array<{ role: string }>;
      expect(engines.map((e) => e.role)).toEqual(['prefill', 'decode']);
    } finally {
      await router.stop();
      await Promise.all(plain.map((s) => s.close()));
    }
  });
});
