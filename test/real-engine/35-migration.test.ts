/**
 * Request migration with real engines: a vLLM killed while it streams a greedy completion. The
 * client's one stream carries on from the other engine (same id, one finish, usage for the whole
 * answer), and since the router continues from token ids, the text equals an uninterrupted run's.
 * The killed engine is started again on its address for the suites after this one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { eventually, getJson, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { killEngine } from './harness/engine-process.js';
import { addEngine, engine, forgetEngine, routerLog, vllmSpec } from './harness/pool.js';
import { SHARED_ENGINES } from './harness/shared-engines.js';

interface EngineView {
  engine_id: string;
  in_flight: number;
}

/** vLLM's own sampling switch: no early end of text, so the answer is exactly max_tokens long. */
type GreedyStream = OpenAI.CompletionCreateParamsStreaming & { ignore_eos: boolean };

const PROMPT = 'def main():';
const MAX_TOKENS = 600;
/** Far enough into the answer that the continuation has a real prefix to carry on from. */
const KILL_AFTER_CHUNKS = 40;

describe('a real vLLM engine killed mid-answer', () => {
  let router: RunningRouter;
  let client: OpenAI;
  /** The engine killed mid-answer, and the port to start it again on. */
  let killed: { name: string; port: number } | undefined;

  beforeAll(async () => {
    router = await startRouter(
      {
        engines: [{ id: 'a', url: engine('a').url, models: ['tiny'] }, { id: 'b', url: engine('b').url, models: ['tiny'] }],
        logger: routerLog('migration'),
      },
      { outlierProbeIntervalSeconds: 1 },
    );
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120_000 });
  });

  afterAll(async () => router?.close());

  it('the stream continues on the other engine from where the dead one stopped', async () => {
    const greedy = { model: 'tiny', prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0, ignore_eos: true };
    const params: GreedyStream = { ...greedy, stream: true, stream_options: { include_usage: true } };
    const stream = await client.completions.create(params);

    let text = '';
    let textAtKill = '';
    const ids = new Set<string>();
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    let victim: string | undefined;
    for await (const chunk of stream) {
      ids.add(chunk.id);
      for (const choice of chunk.choices) {
        text += choice.text;
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      if (victim === undefined && chunks >= KILL_AFTER_CHUNKS) {
        // The engine serving this stream is the one with a request in flight.
        const views = (await getJson(`${router.url}/engines`)).json as EngineView[];
        victim = views.find((v) => v.in_flight > 0)?.engine_id;
        expect(victim).toBeDefined();
        textAtKill = text;
        const dying = engine(victim!);
        killed = { name: victim!, port: dying.spec.port || Number(new URL(dying.url).port) };
        await killEngine(dying);
        forgetEngine(victim!);
      }
    }
    const survivor = victim === 'a' ? 'b' : 'a';

    // One answer, as one engine would have given it.
    expect(ids.size).toBe(1);
    expect(finishes).toEqual(['length']);
    expect(usage?.completion_tokens).toBe(MAX_TOKENS);
    expect(text.startsWith(textAtKill)).toBe(true);
    expect(text.length).toBeGreaterThan(textAtKill.length);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(/^vllm_router_request_migrations_total\{[^}]*outcome="completed"[^}]*\} 1$/m);

    // Continued from token ids, the answer is the uninterrupted one (same weights, greedy).
    const whole = await postJson(`${engine(survivor).url}/v1/completions`, greedy);
    const uninterrupted = (whole.json as OpenAI.Completion).choices[0]!.text;
    process.stdout.write(
      `migration with real vLLM: engine ${victim} killed ${textAtKill.length} characters into the answer; the migrated answer ` +
        `${text === uninterrupted ? 'equals' : `parts at character ${commonPrefix(text, uninterrupted)} from`} the uninterrupted one (${uninterrupted.length} characters)\n`,
    );
    expect(text).toBe(uninterrupted);
  });

  it('the killed engine comes back when it runs again on its address', async () => {
    expect(killed).toBeDefined();
    const spec = SHARED_ENGINES.find((e) => e.name === killed!.name)!;
    await addEngine(vllmSpec(spec.name, spec.host, [...spec.servedNames], spec.cpu, killed!.port));
    await eventually(async () => ((await getJson(`${router.url}/health`)).json as { status: string }).status === 'healthy', 60_000, 250);
  }, 240_000);

});

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

