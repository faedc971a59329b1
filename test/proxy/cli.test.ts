import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson, postJson } from '../helpers/http.js';
import { runRouterCli, spawnRouter } from '../helpers/process.js';

describe('the vllm-router program', () => {
  let a: EngineSim;
  let b: EngineSim;
  let dir: string;

  beforeAll(async () => {
    a = await startEngineSim({ engineId: 'a', host: '127.0.0.2', models: ['m1'], tokenDelayMs: 100, outputTokens: 8 });
    b = await startEngineSim({ engineId: 'b', host: '127.0.0.3', models: ['m2'] });
    dir = await mkdtemp(join(tmpdir(), 'vllm-router-cli-'));
  });

  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses bad flags with a message naming the flag, and exit code 2', async () => {
    const missing = await runRouterCli(['--routing-logic', 'roundrobin']);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('--service-discovery');
    const misaligned = await runRouterCli(['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--static-backends', 'http://127.0.0.2:1,http://127.0.0.3:1', '--static-models', 'm1']);
    expect(misaligned.code).toBe(2);
    expect(misaligned.output).toContain('--static-models');
  });

  it('says "not yet" for features this build lacks instead of silently ignoring them', async () => {
    const r = await runRouterCli(['--service-discovery', 'k8s', '--k8s-service-discovery-type', 'service-name', '--routing-logic', 'roundrobin']);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/not yet available/);
  });

  it('serves from static flags, with aliases, as the reference router is started', async () => {
    const router = await spawnRouter([
      '--service-discovery', 'static',
      '--static-backends', `${a.url},${b.url}`,
      '--static-models', 'm1,m2',
      '--static-aliases', 'gpt4:m2',
      '--routing-logic', 'roundrobin',
    ]);
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'gpt4', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.system_fingerprint).toBe('b');
      await eventually(() => /INFO {2}request id=\w+ method=POST path=\/v1\/chat\/completions model=m2 engine=\S+ status=200 latency_ms=[\d.]+ streamed=false/.test(router.output()));
    } finally {
      await router.stop();
    }
  });

  it('hot-reloads the dynamic config file, and keeps the last good one when a write is invalid', async () => {
    const file = join(dir, 'dynamic.json');
    await writeFile(file, JSON.stringify({ service_discovery: 'static', routing_logic: 'roundrobin', static_backends: a.url, static_models: 'm1' }));
    const router = await spawnRouter(['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--dynamic-config-json', file]);
    try {
      expect((await postJson(`${router.url}/v1/completions`, { model: 'm1', prompt: 'x', max_tokens: 1 })).status).toBe(200);
      expect((await postJson(`${router.url}/v1/completions`, { model: 'm2', prompt: 'x' })).status).toBe(404);

      // Atomic replace, as editors and config tools write.
      await writeFile(`${file}.tmp`, JSON.stringify({ service_discovery: 'static', routing_logic: 'roundrobin', static_backends: `${a.url},${b.url}`, static_models: 'm1,m2' }));
      await rename(`${file}.tmp`, file);
      await eventually(async () => (await postJson(`${router.url}/v1/completions`, { model: 'm2', prompt: 'x' })).status === 200, 5000, 100);
      const health = await getJson(`${router.url}/health`);
      expect(health.json).toMatchObject({ status: 'healthy', dynamic_config: { static_models: 'm1,m2' } });

      await writeFile(file, '{"routing_logic": "roundrobin", "static_backends": ');
      await eventually(async () => ((await getJson(`${router.url}/health`)).json as { config_error?: unknown }).config_error !== undefined, 5000, 100);
      expect((await postJson(`${router.url}/v1/completions`, { model: 'm2', prompt: 'x' })).status).toBe(200);
      const metrics = await fetch(`${router.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/vllm_router_config_valid 0/);
      expect(metrics).toMatch(/vllm_router_config_reloads_total\{source="dynamic-config",result="rejected"\} [1-9]/);
      expect(router.output()).toMatch(/configuration rejected/);
    } finally {
      await router.stop();
    }
  });

  it('drains on SIGTERM: in-flight streams finish, new connections are refused, exit code 0', async () => {
    const router = await spawnRouter(['--service-discovery', 'static', '--static-backends', a.url, '--static-models', 'm1', '--routing-logic', 'roundrobin']);
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'long answer' }], stream: true });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) chunks.push(chunk.choices[0]?.delta.content ?? '');
    })();
    await eventually(() => chunks.length >= 1);
    router.child.kill('SIGTERM');
    await eventually(() => router.output().includes('draining'));
    await expect(fetch(`${router.url}/health`)).rejects.toThrow();
    await reading;
    expect(chunks.join('').length).toBeGreaterThan(0);
    expect(chunks.length).toBeGreaterThanOrEqual(8);
    expect(await router.exited).toBe(0);
  });
});
