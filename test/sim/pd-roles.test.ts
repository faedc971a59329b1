import { afterEach, describe, expect, it } from '@jest/globals';
import { startEngineSim, type EngineSim, type EngineSimOptions } from './index.js';
import { parseSimArgs } from './cli-args.js';
import { postJson, streamSse, waitFor } from './test-client.js';

interface KvParams {
  do_remote_prefill: boolean;
  do_remote_decode: boolean;
  remote_engine_id: string;
  remote_request_id: string;
  remote_block_ids: number[][];
  remote_host: string;
  remote_port: number;
  tp_size: number;
}
interface Completion {
  choices: Array<{ text: string }>;
  usage: { prompt_tokens: number; completion_tokens: number };
  kv_transfer_params?: KvParams;
  error?: { code: string | number; message: string };
}

/** 1,000 prompt tokens, distinct per tag. */
const prompt = (tag: string) => `${tag}:`.padEnd(4000, ` ${tag} words`);
const ASK_FOR_HANDOVER = { do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null };

describe('vllm-engine-sim prefill and decode roles', () => {
  const sims: EngineSim[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  const start = async (options: EngineSimOptions) => {
    const sim = await startEngineSim({ prefillMsPerToken: 0.2, outputTokens: 4, ...options });
    sims.push(sim);
    return sim;
  };
  const prefill = (sim: EngineSim, tag: string) =>
    postJson<Completion>(`${sim.url}/v1/completions`, { prompt: prompt(tag), max_tokens: 1, stream: false, kv_transfer_params: ASK_FOR_HANDOVER });

  describe('nixl (kv_transfer_params)', () => {
    it('prefill answers params naming itself and its blocks; decode pulls them once and skips the prompt', async () => {
      const p = await start({ engineId: 'p-1', host: '127.0.0.2', role: 'prefill' });
      const d = await start({ engineId: 'd-1', host: '127.0.0.3', role: 'decode', kvTransferMsPerToken: 0.01 });
      const answer = await prefill(p, 'a');
      const params = answer.json.kv_transfer_params!;
      expect(params).toMatchObject({ do_remote_prefill: true, do_remote_decode: false, remote_engine_id: 'p-1', remote_host: '127.0.0.2', remote_port: Number(new URL(p.url).port), tp_size: 1 });
      expect(params.remote_request_id).toMatch(/^kvx-p-1-/);
      expect(params.remote_block_ids).toEqual([Array.from({ length: 63 }, (_, i) => i)]); // ceil(1000 / 16) blocks
      expect(answer.json.usage.completion_tokens).toBe(1);
      expect(p.stats.ttfts[0]!.prefillMs).toBeCloseTo(200, 6);
      expect(p.stats.kvUsage).toBeGreaterThan(0); // the blocks are held for the decode engine

      const decoded = await streamSse(`${d.url}/v1/completions`, { prompt: prompt('a'), max_tokens: 4, stream: true, kv_transfer_params: params });
      expect(decoded.status).toBe(200);
      expect(decoded.events.at(-1)?.data).toBe('[DONE]');
      const sample = d.stats.ttfts[0]!;
      expect(sample.transferredTokens).toBe(999);
      expect(sample.prefillMs).toBeCloseTo(0.2, 6); // only the last prompt token, as vLLM recomputes it
      await waitFor(() => p.stats.kvUsage === 0); // pulled: the prefill engine freed them

      const again = await postJson<Completion>(`${d.url}/v1/completions`, { prompt: prompt('a'), kv_transfer_params: params });
      expect(again.status).toBe(500);
      expect(again.json.error?.code).toBe(500); // vLLM's error shape: the status as the code
      expect(again.json.error?.message).toMatch(/^Pulling KV blocks from /);
      expect(again.json.error?.message).toContain('already pulled');
    });

    it('decode refuses a request without valid params, and a pull from the wrong engine fails', async () => {
      const p1 = await start({ engineId: 'p-1', host: '127.0.0.2', role: 'prefill' });
      const p2 = await start({ engineId: 'p-2', host: '127.0.0.4', role: 'prefill' });
      const d = await start({ role: 'decode', host: '127.0.0.3' });
      const none = await postJson<Completion>(`${d.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] });
      expect(none.status).toBe(400);
      expect(none.json.error?.code).toBe(400);
      expect(none.json.error?.message).toMatch(/kv_transfer_params/);
      const asRequested = await postJson<Completion>(`${d.url}/v1/completions`, { prompt: 'x', kv_transfer_params: ASK_FOR_HANDOVER });
      expect(asRequested.status).toBe(400);

      const params = (await prefill(p1, 'b')).json.kv_transfer_params!;
      const misrouted = { ...params, remote_host: '127.0.0.4', remote_port: Number(new URL(p2.url).port) };
      const wrong = await postJson<Completion>(`${d.url}/v1/completions`, { prompt: prompt('b'), kv_transfer_params: misrouted });
      expect(wrong.status).toBe(500);
      expect(wrong.json.error?.message).toContain('belong to engine p-1');
      expect(d.stats.ttfts).toHaveLength(0); // refused before any work
    });

    it('frees blocks nobody pulled when their lease ends', async () => {
      const p = await start({ role: 'prefill', host: '127.0.0.2', kvLeaseMs: 50 });
      const d = await start({ role: 'decode', host: '127.0.0.3' });
      const params = (await prefill(p, 'c')).json.kv_transfer_params!;
      expect(p.stats.kvUsage).toBeGreaterThan(0);
      await waitFor(() => p.stats.kvUsage === 0);
      const late = await postJson<Completion>(`${d.url}/v1/completions`, { prompt: prompt('c'), kv_transfer_params: params });
      expect(late.status).toBe(500);
    });

    it('a prefill engine asked without do_remote_decode, or streamed, is an ordinary engine', async () => {
      const p = await start({ role: 'prefill' });
      const plain = await postJson<Completion>(`${p.url}/v1/completions`, { prompt: prompt('d') });
      expect(plain.json.kv_transfer_params).toBeUndefined();
      expect(plain.json.choices[0]!.text).toBe('the old fox ran');
      const streamed = await streamSse(`${p.url}/v1/completions`, { prompt: prompt('d'), stream: true, kv_transfer_params: ASK_FOR_HANDOVER });
      expect(streamed.events.at(-1)?.data).toBe('[DONE]');
      expect(p.stats.kvUsage).toBe(0);
    });
  });

  describe('lmcache (decode looks blocks up in its peers)', () => {
    it('finds the prompt a peer prefilled and computes only the rest; computes it all when no peer has it', async () => {
      const p = await start({ role: 'prefill', host: '127.0.0.2', kvConnector: 'lmcache' });
      const d = await start({ role: 'decode', host: '127.0.0.3', kvConnector: 'lmcache', kvPeers: [p.url, 'http://127.0.0.9:1'] });
      const primed = await postJson<Completion>(`${p.url}/v1/completions`, { prompt: prompt('e'), max_tokens: 1 });
      expect(primed.json.kv_transfer_params).toBeUndefined();
      await postJson(`${d.url}/v1/completions`, { prompt: prompt('e') });
      await postJson(`${d.url}/v1/completions`, { prompt: prompt('f') });
      const [found, missed] = d.stats.ttfts;
      expect(found!.transferredTokens).toBe(992); // 62 whole blocks
      expect(found!.prefillMs).toBeCloseTo(8 * 0.2, 6);
      expect(missed!.transferredTokens).toBe(0);
      expect(missed!.prefillMs).toBeCloseTo(200, 6);
    });
  });

  it('takes the roles, connector and transfer settings on the command line', () => {
    expect(
      parseSimArgs([
        '--role', 'decode', '--kv-connector', 'lmcache', '--kv-peers', 'http://127.0.0.2:8000,http://127.0.0.3:8000',
        '--kv-lease-ms', '100', '--kv-transfer-ms-per-token', '0.01', '--max-num-batched-tokens', '2048',
      ]),
    ).toMatchObject({
      role: 'decode',
      kvConnector: 'lmcache',
      kvPeers: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'],
      kvLeaseMs: 100,
      kvTransferMsPerToken: 0.01,
      maxNumBatchedTokens: 2048,
    });
    expect(() => parseSimArgs(['--role', 'both'])).toThrow();
  });
});
