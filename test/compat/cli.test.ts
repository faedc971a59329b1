import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';
import { eventually, getJson } from '../helpers/http.js';
import { runRouterCli, spawnRouter } from '../helpers/process.js';
import { MODEL, NESTED_YAML, helmChartLine, perfTestLine, readmeLine, routingLines, runRouterLine } from './command-lines.js';

describe("the reference's command lines and config files start vllm-router unchanged", () => {
  let sims: EngineSim[];
  let dir: string;

  beforeAll(async () => {
    sims = await Promise.all([
      startEngineSim({ engineId: 'a', host: '127.0.0.2', models: [MODEL] }),
      startEngineSim({ engineId: 'b', host: '127.0.0.3', models: ['meta-llama/Llama-3.1-8B-Instruct'] }),
      startEngineSim({ engineId: 'c', host: '127.0.0.4', models: [MODEL] }),
      startEngineSim({ engineId: 'd', host: '127.0.0.5', models: ['fake_model_name'] }),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'compat-cli-'));
  });

  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it("the router README's example: aliases, model types and health checks", async () => {
    const router = await spawnRouter(readmeLine(0, sims.slice(0, 3).map((s) => s.url)));
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'gpt4', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.system_fingerprint).toBe('b');
      // The health checks send their small real request to every backend.
      await eventually(() => sims.slice(0, 3).every((s) => s.stats.lastRequests.some((q) => q.path === '/v1/chat/completions')), 10_000);
    } finally {
      await router.stop();
    }
  });

  it('perf-test.sh and run-router.sh (with --request-stats-window given twice)', async () => {
    for (const args of [perfTestLine(0, [sims[3]!.url]), runRouterLine(0, sims[0]!.url)]) {
      const router = await spawnRouter(args);
      try {
        const model = args.includes('fake_model_name') ? 'fake_model_name' : MODEL;
        const res = await fetch(`${router.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': 'u1' }, body: JSON.stringify({ model, prompt: 'hi' }) });
        expect(res.status).toBe(200);
        await eventually(() => routingLines(router.output()).length === 1);
      } finally {
        await router.stop();
      }
    }
  });

  it('the dynamic config file alone, in the nested YAML form, starts the router (aliases as a mapping)', async () => {
    const file = join(dir, 'router.yaml');
    await writeFile(file, NESTED_YAML([sims[0]!.url, sims[2]!.url]));
    const router = await spawnRouter(['--dynamic-config-yaml', file]);
    try {
      const health = (await getJson(`${router.url}/health`)).json as { status: string; dynamic_config: Record<string, unknown> };
      // The reference's shape: snake_case fields, lists comma-separated, aliases as alias:model.
      expect(health).toMatchObject({
        status: 'healthy',
        dynamic_config: { service_discovery: 'static', routing_logic: 'roundrobin', static_models: `${MODEL},${MODEL}`, static_aliases: `opt:${MODEL}`, static_model_types: 'chat,chat' },
      });
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add((await client.completions.create({ model: 'opt', prompt: 'hi' })).system_fingerprint!);
      expect(seen).toEqual(new Set(['a', 'c']));
    } finally {
      await router.stop();
    }
  });

  it("parses the Helm chart's k8s arguments (and then needs a cluster, as the reference does)", async () => {
    // No cluster reachable: a home without ~/.kube and no KUBECONFIG or in-cluster service account.
    const r = await runRouterCli(helmChartLine('default', 'environment=router-test'), { HOME: dir, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' });
    expect(r.output).not.toMatch(/Unknown argument/);
    expect(r.output).toMatch(/needs access to the Kubernetes API/);
  });

  it('answers --version, and refuses an experimental flag in one line naming it and why', async () => {
    expect(await runRouterCli(['--version'])).toEqual({ code: 0, output: expect.stringMatching(/^vllm-router \d+\.\d+\.\d+\n$/) });
    const lmcache = await runRouterCli(['--service-discovery', 'static', '--static-backends', sims[0]!.url, '--static-models', MODEL, '--routing-logic', 'kvaware', '--lmcache-controller-port', '9000']);
    expect(lmcache.code).toBe(2);
    expect(lmcache.output.trim().split('\n')).toEqual([expect.stringMatching(/^vllm-router: --lmcache-controller-port: is not supported: the LMCache controller .* experimental/)]);
  });

  it('loads --callbacks and --request-rewriter as JavaScript modules whose hooks run around each request', async () => {
    const posted = join(dir, 'posted.jsonl');
    const callbacks = join(dir, 'callbacks.mjs');
    await writeFile(
      callbacks,
      [
        "import { appendFileSync } from 'node:fs';",
        "export function preRequest({ body }) { if (body.model === 'blocked') return { status: 403, body: { error: { message: 'blocked by policy', type: 'invalid_request_error', param: null, code: 'blocked' } } }; }",
        `export function postRequest({ requestId, status, model, body }) { appendFileSync(${JSON.stringify(posted)}, JSON.stringify({ requestId, status, model, bytes: body.length }) + '\\n'); }`,
      ].join('\n'),
    );
    const rewriter = join(dir, 'rewriter.mjs');
    await writeFile(rewriter, 'export const rewriteRequest = ({ body }) => ({ ...body, max_tokens: 2 });\n');
    const router = await spawnRouter(['--service-discovery', 'static', '--static-backends', sims[0]!.url, '--static-models', MODEL, '--routing-logic', 'roundrobin', '--callbacks', callbacks, '--request-rewriter', rewriter]);
    try {
      const blocked = await fetch(`${router.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'blocked', messages: [] }) });
      expect(blocked.status).toBe(403);
      expect(await blocked.json()).toMatchObject({ error: { code: 'blocked' } });
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'hooked-1' } });
      expect(r.usage?.completion_tokens).toBe(2);
      await eventually(async () => (await readFile(posted, 'utf8').catch(() => '')).includes('hooked-1'));
      expect(JSON.parse((await readFile(posted, 'utf8')).trim())).toMatchObject({ requestId: 'hooked-1', status: 200, model: MODEL, bytes: expect.any(Number) });
    } finally {
      await router.stop();
    }
  });

  it("says in one line that the reference's Python callbacks cannot load here", async () => {
    await writeFile(join(dir, 'custom_callbacks.py'), 'callbacks_instance = None\n');
    const common = ['--service-discovery', 'static', '--static-backends', sims[0]!.url, '--static-models', MODEL, '--routing-logic', 'roundrobin'];
    for (const spec of [join(dir, 'custom_callbacks.py'), join(dir, 'custom_callbacks.callbacks_instance')]) {
      const r = await runRouterCli([...common, '--callbacks', spec]);
      expect(r.code).toBe(2);
      expect(r.output).toMatch(/^vllm-router: --callbacks: ".*" is a Python module: the reference router loads Python objects, this router \(Node\.js\) loads a JavaScript ES module/);
    }
  });

  it('routes external providers like engines, with their own key, keeping it out of logs and /engines', async () => {
    const config = join(dir, 'providers.yaml');
    await writeFile(
      config,
      ['external_providers:', '  - name: hosted', '    type: openai', `    api_base: ${sims[3]!.url}`, '    api_key_env_var: HOSTED_API_KEY', '    models:', '      - id: fake_model_name', '        type: chat', '        aliases: [hosted-fast]', ''].join('\n'),
    );
    const router = await spawnRouter(['--external-providers-config', config, '--routing-logic', 'roundrobin', '--api-keys', 'router-key'], 10_000, { HOSTED_API_KEY: 'sk-provider-secret' });
    try {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'router-key', maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'hosted-fast', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'ext-1' } });
      expect(r.system_fingerprint).toBe('d');
      const seen = sims[3]!.stats.lastRequests.filter((q) => q.headers['x-request-id'] === 'ext-1').pop()!;
      expect(seen.headers.authorization).toBe('Bearer sk-provider-secret');
      expect((seen.body as { model: string }).model).toBe('fake_model_name');
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(expect.arrayContaining(['fake_model_name', 'hosted-fast']));
      const engines = await fetch(`${router.url}/engines`).then((x) => x.text());
      expect(engines).toContain('"external-provider":"hosted"');
      expect(engines).not.toContain('sk-provider-secret');
      expect(router.output()).not.toContain('sk-provider-secret');
    } finally {
      await router.stop();
    }
  });
});
