/**
 * `make demo`: three simulated engines serving two models, the vllm-router program in front of them
 * with an alias, and a short client using the official OpenAI SDK. Prints a transcript and exits.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startEngineSim, type EngineSim } from '../sim/index.js';

const ROUTER_CLI = fileURLToPath(new URL('../../../proxy/dist/cli.js', import.meta.url));
const say = (line = '') => process.stdout.write(`${line}\n`);
const section = (title: string) => say(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);

async function startRouterProcess(args: string[]): Promise<{ url: string; log: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [ROUTER_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`router did not start:\n${log}`));
    }, 15_000);
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/([\d.]+):(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    });
    void exited.then((code) => reject(new Error(`router exited with ${code}:\n${log}`)));
  });
  return {
    url,
    log: () => log,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function main(): Promise<void> {
  section('1. Three simulated engines (vllm-engine-sim) on per-engine loopback addresses');
  const engines: EngineSim[] = [
    await startEngineSim({ engineId: 'llama-1', host: '127.0.0.2', models: ['meta-llama/Llama-3.1-8B-Instruct'], tokenDelayMs: 40, outputTokens: 12 }),
    await startEngineSim({ engineId: 'llama-2', host: '127.0.0.3', models: ['meta-llama/Llama-3.1-8B-Instruct'], tokenDelayMs: 40, outputTokens: 12 }),
    await startEngineSim({ engineId: 'opt-1', host: '127.0.0.4', models: ['facebook/opt-125m'], tokenDelayMs: 40, outputTokens: 12 }),
  ];
  for (const e of engines) say(`   ${e.engineId.padEnd(8)} ${e.url.padEnd(24)} serves ${e.models.join(', ')}`);

  section('2. vllm-router in front of them, with the alias gpt4 -> Llama-3.1-8B-Instruct');
  const args = [
    '--host', '127.0.0.1', '--port', '0',
    '--service-discovery', 'static',
    '--static-backends', engines.map((e) => e.url).join(','),
    '--static-models', engines.map((e) => e.models[0]).join(','),
    '--static-aliases', 'gpt4:meta-llama/Llama-3.1-8B-Instruct',
    '--routing-logic', 'roundrobin',
  ];
  say(`   $ vllm-router ${args.join(' ')}`);
  const router = await startRouterProcess(args);
  say(`   listening on ${router.url}; OpenAI base URL ${router.url}/v1`);

  try {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'demo', maxRetries: 0 });

    section('3. GET /v1/models (merged across engines, aliases listed)');
    for (const m of (await client.models.list()).data) say(`   ${m.id}`);

    section('4. A plain chat completion, asking for the alias "gpt4"');
    const plain = await client.chat.completions
      .create({ model: 'gpt4', messages: [{ role: 'user', content: 'Say hello to the cluster.' }], max_tokens: 8 })
      .withResponse();
    say(`   answer : ${plain.data.choices[0]?.message.content ?? ''}`);
    say(`   served : model ${plain.data.model} by engine ${plain.response.headers.get('x-engine-id')} (request id ${plain.response.headers.get('x-request-id')})`);
    say(`   usage  : ${JSON.stringify(plain.data.usage)}`);

    section('5. A streamed chat completion: tokens print as the engine produces them');
    const started = performance.now();
    const streamed = await client.chat.completions
      .create({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'Stream, please.' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    process.stdout.write('   answer : ');
    let firstChunkMs: number | undefined;
    let chunks = 0;
    for await (const chunk of streamed.data) {
      const text = chunk.choices[0]?.delta.content;
      if (text) {
        firstChunkMs ??= performance.now() - started;
        chunks++;
        process.stdout.write(text);
      }
    }
    say();
    say(`   served : engine ${streamed.response.headers.get('x-engine-id')}; ${chunks} chunks, first after ${firstChunkMs?.toFixed(0)} ms, all after ${(performance.now() - started).toFixed(0)} ms`);

    section('6. Round robin: four more requests for the same model');
    for (let i = 0; i < 4; i++) {
      const r = await client.completions.create({ model: 'gpt4', prompt: `request ${i}`, max_tokens: 2 }).withResponse();
      say(`   request ${i} -> ${r.response.headers.get('x-engine-id')}`);
    }

    section('7. An unknown model gets an OpenAI-shaped 404');
    try {
      await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    } catch (err) {
      if (err instanceof OpenAI.APIError) say(`   ${err.status} ${JSON.stringify(err.error)}`);
      else throw err;
    }

    section('8. GET /engines');
    const list = (await (await fetch(`${router.url}/engines`)).json()) as Array<Record<string, unknown>>;
    for (const e of list) say(`   ${JSON.stringify(e)}`);
  } finally {
    section('9. SIGTERM: the router drains and exits');
    say(`   router exit code ${await router.stop()}`);
    section('10. What the router logged (one access line per request)');
    for (const line of router.log().trim().split('\n')) say(`   ${line}`);
    await Promise.all(engines.map((e) => e.close()));
  }
  say('\nDemo finished.');
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
