/**
 * The simulator (test/sim) against a real vLLM: where they differ, the simulator is wrong. Each
 * check compares shapes (names, keys, types, where a field appears), not gibberish model output.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { parseSamples } from './harness/engine-metrics.js';
import { engine } from './harness/pool.js';

/** The metric families the router reads from vLLM (proxy/src/stats/engine-metrics.ts). */
const ROUTER_READS = ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:prefix_cache_queries_total', 'vllm:prefix_cache_hits_total', 'vllm:cache_config_info'];

const text = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init);
  return { status: r.status, body: await r.text() };
};
const post = (url: string, body: unknown) => text(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The type of every leaf, by path: {"error":{"code":404}} -> error.code=number. */
function shape(value: unknown, path = ''): string[] {
  if (value === null) return [`${path}=null`];
  if (Array.isArray(value)) return [`${path}=array`];
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => shape(v, path ? `${path}.${k}` : k));
  return [`${path}=${typeof value}`];
}

/** Per SSE chunk: which delta keys it has, whether it ends the choice, whether it is the usage chunk. */
function streamShape(sse: string): string[] {
  return sse
    .split('\n\n')
    .map((e) => e.replace(/^data: /, '').trim())
    .filter((d) => d && d !== '[DONE]')
    .map((d) => JSON.parse(d) as { choices: Array<{ delta?: Record<string, unknown>; text?: string; finish_reason: string | null }>; usage?: unknown })
    .map((c) => {
      const choice = c.choices[0];
      if (!choice) return c.usage ? 'usage' : 'empty';
      const keys = choice.delta ? Object.keys(choice.delta).sort().join('+') : 'text';
      return `${keys}${choice.finish_reason ? `|${choice.finish_reason}` : ''}`;
    })
    // Token chunks repeat: keep runs once, so token counts don't matter.
    .filter((s, i, all) => i === 0 || s !== all[i - 1]);
}

describe('the simulator against a real vLLM', () => {
  let sim: EngineSim;
  const real = () => engine('a').url;

  beforeAll(async () => {
    sim = await startEngineSim({ engineId: 'sim', host: '127.0.42.5', models: ['tiny'], outputTokens: 3 });
  });
  afterAll(async () => sim?.close());

  it('exports the metric families the router reads, with vLLM\'s labels, and none vLLM dropped', async () => {
    const [realSamples, simSamples] = await Promise.all([real(), sim.url].map(async (u) => parseSamples((await text(`${u}/metrics`)).body)));
    const families = (samples: ReturnType<typeof parseSamples>) => new Set(samples.map((s) => s.name).filter((n) => n.startsWith('vllm:')));
    const realFamilies = families(realSamples);
    for (const name of ROUTER_READS) expect({ name, real: realFamilies.has(name) }).toEqual({ name, real: true });
    // Every vllm: family the sim exports exists in vLLM (vllm:gpu_cache_usage_perc did not).
    for (const name of families(simSamples)) expect({ name, inVllm: realFamilies.has(name.replace(/_(bucket|count|sum)$/, '')) || realFamilies.has(name) }).toEqual({ name, inVllm: true });
    // The same label names on the families the router reads (cache_config_info: the ones it reads).
    const labels = (samples: ReturnType<typeof parseSamples>, name: string) => Object.keys(samples.find((s) => s.name === name)?.labels ?? {}).sort();
    for (const name of ROUTER_READS.filter((n) => n !== 'vllm:cache_config_info')) expect(labels(simSamples, name)).toEqual(labels(realSamples, name));
    for (const key of ['block_size', 'num_gpu_blocks', 'engine']) {
      expect(labels(realSamples, 'vllm:cache_config_info')).toContain(key);
      expect(labels(simSamples, 'vllm:cache_config_info')).toContain(key);
    }
  });

  it('publishes model cards with vLLM\'s fields and types', async () => {
    const [realList, simList] = await Promise.all([real(), sim.url].map(async (u) => JSON.parse((await text(`${u}/v1/models`)).body) as { data: Array<Record<string, unknown>> }));
    const card = (list: { data: Array<Record<string, unknown>> }) => shape({ ...list.data[0], permission: undefined }).filter((s) => !s.startsWith('permission'));
    expect(card(simList).sort()).toEqual(card(realList).sort());
    expect(Object.keys(simList.data[0]!).sort()).toEqual(Object.keys(realList.data[0]!).sort());
  });

  it('answers an unknown model, bad parameters, an unknown path and a wrong method with vLLM\'s bodies', async () => {
    const cases: Array<[string, (u: string) => Promise<{ status: number; body: string }>]> = [
      ['unknown model', (u) => post(`${u}/v1/chat/completions`, { model: 'nope', messages: [{ role: 'user', content: 'x' }] })],
      ['bad max_tokens', (u) => post(`${u}/v1/completions`, { model: 'tiny', prompt: 'x', max_tokens: -1 })],
      ['unknown path', (u) => text(`${u}/v9/nothing`)],
      ['wrong method', (u) => text(`${u}/v1/chat/completions`)],
    ];
    for (const [what, call] of cases) {
      const [r, s] = await Promise.all([call(real()), call(sim.url)]);
      const summary = (x: { status: number; body: string }) => ({ what, status: x.status, shape: shape(JSON.parse(x.body)).filter((p) => !p.startsWith('error.message')).sort() });
      const realShape = summary(r);
      expect(summary(s)).toEqual(realShape);
      const realType = (JSON.parse(r.body) as { error?: { type?: string } }).error?.type;
      if (realType !== undefined) expect({ what, type: (JSON.parse(s.body) as { error: { type: string } }).error.type }).toEqual({ what, type: realType });
    }
  });

  it('streams chat and completions in vLLM\'s shape: role first, finish_reason on the last token, then usage', async () => {
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      const body = {
        model: 'tiny',
        ...(path.includes('chat') ? { messages: [{ role: 'user', content: 'hi' }] } : { prompt: 'hi' }),
        max_tokens: 3,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      };
      const [r, s] = await Promise.all([post(`${real()}${path}`, body), post(`${sim.url}${path}`, body)]);
      expect({ path, sim: streamShape(s.body) }).toEqual({ path, sim: streamShape(r.body) });
      const keys = (sse: string) => Object.keys(JSON.parse(sse.split('\n\n')[0]!.replace(/^data: /, '')) as object).filter((k) => !['prompt_token_ids', 'prompt_text'].includes(k)).sort();
      expect({ path, sim: keys(s.body) }).toEqual({ path, sim: keys(r.body) });
    }
  });
});
