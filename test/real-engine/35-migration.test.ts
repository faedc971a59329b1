/**
 * Request migration with real engines: a vLLM killed while it streams a greedy completion and a
 * greedy chat. Each client stream carries on from the other engine (same id, one finish, usage for
 * the whole answer), and since the router continues from token ids, each text equals an
 * uninterrupted run's.
 * The killed engine is started again on its address for the suites after this one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { eventually, getJson, postJson } from '../helpers/http.js';
import { startRouter, type RunningRouter } from '../helpers/router.js';
import { generationOf, killEngine, type Generation } from './harness/engine-process.js';
import { addEngine, engine, forgetEngine, routerLog, vllmSpec } from './harness/pool.js';
import { SHARED_ENGINES } from './harness/shared-engines.js';

/** vLLM's own sampling switch: no early end of text, so each answer is exactly max_tokens long. */
interface Greedy {
  temperature: 0;
  ignore_eos: true;
}

const PROMPT = 'def main():';
const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'import os' }];
const MAX_TOKENS = 600;
/** A stream with no chunk for this long while its engine's generation is frozen: the router has all it generated. */
const QUIET_MS = 3000;
/** How long the frozen generation runs at a time, and the quiet spell that ends a read between two runs. */
const SLICE_MS = 20;
const SLICE_QUIET_MS = 1000;
/** Tries at catching the engine mid-answer (see the test). */
const MAX_ATTEMPTS = 8;
const GREEDY: Greedy = { temperature: 0, ignore_eos: true };

/** One streamed answer read chunk by chunk: its text, ids, finish reasons and usage. */
class StreamReader<C extends { id: string; usage?: OpenAI.CompletionUsage | null }> {
  text = '';
  chunks = 0;
  readonly ids = new Set<string>();
  readonly finishes: string[] = [];
  usage: OpenAI.CompletionUsage | undefined;
  private readonly iterator: AsyncIterator<C>;
  /** A read that a quiet spell left waiting; the next read takes it over, so no chunk is lost. */
  private pending: Promise<IteratorResult<C>> | undefined;

  constructor(
    stream: AsyncIterable<C>,
    private readonly parts: (chunk: C) => Array<{ text: string; finish: string | null }>,
  ) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** Read until `count` chunks have come (or the stream ends); false when it ended. */
  async readUntil(count: number): Promise<boolean> {
    while (this.chunks < count) if (!this.take(await this.nextChunk())) return false;
    return true;
  }

  /** Read until the stream ends ('ended') or no chunk comes for `quietMs` ('quiet'). */
  async readUntilQuiet(quietMs: number): Promise<'ended' | 'quiet'> {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const quiet = new Promise<'quiet'>((resolve) => (timer = setTimeout(() => resolve('quiet'), quietMs)));
      const next = await Promise.race([this.nextChunk(), quiet]).finally(() => clearTimeout(timer));
      if (next === 'quiet') return 'quiet';
      if (!this.take(next)) return 'ended';
    }
  }

  readToEnd(): Promise<boolean> {
    return this.readUntil(Number.POSITIVE_INFINITY);
  }

  private nextChunk(): Promise<IteratorResult<C>> {
    this.pending ??= this.iterator.next();
    return this.pending;
  }

  /** Record one chunk; false at the end of the stream. */
  private take(next: IteratorResult<C>): boolean {
    this.pending = undefined;
    if (next.done) return false;
    const chunk = next.value;
    this.chunks++;
    this.ids.add(chunk.id);
    if (chunk.usage) this.usage = chunk.usage;
    for (const part of this.parts(chunk)) {
      this.text += part.text;
      if (part.finish) this.finishes.push(part.finish);
    }
    return true;
  }

}

describe('a real vLLM engine killed mid-answer', () => {
  let router: RunningRouter;
  let client: OpenAI;
  /** The engine killed mid-answer, and the port to start it again on. */
  let killed: { name: string; port: number } | undefined;

  beforeAll(async () => {
    router = await startRouter(
      {
        engines: [{ id: 'a', url: engine('a').url, models: ['tiny'] }, { id: 'b', url: engine('b').url, models: ['tiny'] }],
        // One session: both streams go to the same engine, so one kill breaks both.
        routingLogic: 'session',
        sessionKey: 'x-user-id',
        logger: routerLog('migration'),
      },
      // A frozen engine is silent for seconds: not a stall for the router (it would move the answers itself).
      { outlierProbeIntervalSeconds: 1, firstByteTimeoutMs: 120_000 },
    );
    client = new OpenAI({ baseURL: router.baseURL, apiKey: 'unused', maxRetries: 0, timeout: 120_000, defaultHeaders: { 'x-user-id': 'one-session' } });
  });

  afterAll(async () => router?.close());

  it('a completion and a chat continue on the other engine, each equal to an uninterrupted run', async () => {
    // The engine must still be generating both answers when it dies, and the router must not yet
    // hold the rest of either. On a busy machine the tiny model's 600 tokens can all reach the router
    // before the client has read its first chunk, so the engine's generation (EngineCore, workers) is
    // frozen (SIGSTOP) the moment the router has sent it both requests, and let run in short slices
    // only until the client has some text of each answer; its API server runs on and sends what was
    // generated. Then both are read until they go quiet: the router has all the engine generated
    // and waits for more, and the kill breaks both mid-answer. Should either end instead, the engine
    // had finished: let it run on, read both out, and try again.
    const load = router.app.core.load;
    let completion: StreamReader<OpenAI.Completion> | undefined;
    let chat: StreamReader<OpenAI.ChatCompletionChunk> | undefined;
    let victim: string | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && victim === undefined; attempt++) {
      await eventually(async () => load.get('a') + load.get('b') === 0, 10_000, 5);
      const streams = Promise.all([
        client.completions.create({ model: 'tiny', prompt: PROMPT, max_tokens: MAX_TOKENS, stream: true, stream_options: { include_usage: true }, ...GREEDY }),
        client.chat.completions.create({ model: 'tiny', messages: MESSAGES, max_tokens: MAX_TOKENS, stream: true, stream_options: { include_usage: true }, ...GREEDY }),
      ]);
      // The session sends both to one engine: the first with both in flight.
      let serving: string | undefined;
      const both = await eventually(async () => (serving = ['a', 'b'].find((id) => load.get(id) === 2)) !== undefined, 10_000, 1).then(
        () => true,
        () => false,
      );
      if (!both || serving === undefined) {
        // The client sent them one after the other (it has, on a reused connection): try again.
        process.stdout.write(`migration with real vLLM: attempt ${attempt + 1}: the two requests were never in flight together; again\n`);
        const [c, h] = await streams;
        for await (const _ of c);
        for await (const _ of h);
        continue;
      }
      // Its processes listed now, not before the requests: a fresh vLLM's first request ran on in a
      // process that a list taken before it did not hold.
      const frozen = generationOf(engine(serving));
      frozen.pause(true);
      const [completionStream, chatStream] = await runInSlicesUntil(frozen, streams);
      const thisCompletion = (completion = new StreamReader(completionStream, (c) => c.choices.map((ch) => ({ text: ch.text, finish: ch.finish_reason }))));
      const thisChat = (chat = new StreamReader(chatStream, (c) => c.choices.map((ch) => ({ text: ch.delta.content ?? '', finish: ch.finish_reason }))));
      // Slices on until the client has some text of each answer (what the router had, read out each time).
      await runInSlicesUntilTrue(frozen, async () => {
        const quick = await Promise.all([thisCompletion.readUntilQuiet(SLICE_QUIET_MS), thisChat.readUntilQuiet(SLICE_QUIET_MS)]);
        return quick.includes('ended') || (thisCompletion.text !== '' && thisChat.text !== '');
      });
      const states = await Promise.all([thisCompletion.readUntilQuiet(QUIET_MS), thisChat.readUntilQuiet(QUIET_MS)]);
      if (states.every((state) => state === 'quiet')) victim = serving;
      else frozen.pause(false);
      process.stdout.write(
        `migration with real vLLM: attempt ${attempt + 1}: engine ${serving} frozen; streams ${states.join('/')} ` +
          `(${completion.chunks}/${chat.chunks} chunks read)${victim ? '' : ': an answer was complete; again'}\n`,
      );
      if (victim === undefined) await Promise.all([completion.readToEnd(), chat.readToEnd()]);
    }
    if (!completion || !chat || !victim) throw new Error(`no engine caught mid-answer in ${MAX_ATTEMPTS} attempts (see the lines above)`);
    const atKill = { completion: completion.text, chat: chat.text };
    const dying = engine(victim);
    killed = { name: victim, port: dying.spec.port || Number(new URL(dying.url).port) };
    await killEngine(dying);
    forgetEngine(victim);
    await Promise.all([completion.readToEnd(), chat.readToEnd()]);

    // Each is one answer, as one engine would have given it.
    for (const [name, answer] of [['completion', completion], ['chat', chat]] as const) {
      expect({ name, ids: answer.ids.size, finishes: answer.finishes, tokens: answer.usage?.completion_tokens }).toEqual({ name, ids: 1, finishes: ['length'], tokens: MAX_TOKENS });
      expect(answer.text.startsWith(atKill[name])).toBe(true);
    }
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    const completed = [...metrics.matchAll(/^vllm_router_request_migrations_total\{[^}]*outcome="completed"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect({ migrationsCompleted: completed, charactersAtKill: atKill }).toEqual({ migrationsCompleted: 2, charactersAtKill: atKill });

    // Continued from token ids, each answer is the uninterrupted one (same weights, greedy).
    const survivor = engine(victim === 'a' ? 'b' : 'a').url;
    const wholeCompletion = ((await postJson(`${survivor}/v1/completions`, { model: 'tiny', prompt: PROMPT, max_tokens: MAX_TOKENS, ...GREEDY })).json as OpenAI.Completion).choices[0]!.text;
    const wholeChat = ((await postJson(`${survivor}/v1/chat/completions`, { model: 'tiny', messages: MESSAGES, max_tokens: MAX_TOKENS, ...GREEDY })).json as OpenAI.ChatCompletion).choices[0]!.message.content!;
    for (const [name, migrated, uninterrupted] of [['completion', completion.text, wholeCompletion], ['chat', chat.text, wholeChat]] as const)
      process.stdout.write(
        `migration with real vLLM (${name}): engine ${victim} killed ${atKill[name].length} characters in; the migrated answer ` +
          `${migrated === uninterrupted ? 'equals' : `parts at character ${commonPrefix(migrated, uninterrupted)} from`} the uninterrupted one (${uninterrupted.length} characters)\n`,
      );
    expect(completion.text).toBe(wholeCompletion);
    expect(chat.text).toBe(wholeChat);
  });

  it('the killed engine comes back when it runs again on its address', async () => {
    if (!killed) throw new Error('the test before killed no engine, so none can come back');
    const { name, port } = killed;
    const spec = SHARED_ENGINES.find((e) => e.name === name)!;
    await addEngine(vllmSpec(spec.name, spec.host, [...spec.servedNames], spec.cpu, port));
    await eventually(async () => ((await getJson(`${router.url}/health`)).json as { status: string }).status === 'healthy', 60_000, 250);
  }, 240_000);

});

/**
 * Lets the frozen generation run a slice at a time until `done` says so; it is frozen again after
 * each. At most 40 slices: 0.8 s of generation, well under the one or two seconds the two answers
 * take together on an idle machine.
 */
async function runInSlicesUntilTrue(frozen: Generation, done: () => Promise<boolean>): Promise<void> {
  for (let slice = 0; slice < 40 && !(await done()); slice++) {
    frozen.pause(false);
    await new Promise((resolve) => setTimeout(resolve, SLICE_MS));
    frozen.pause(true);
  }
}

/** Slices until `work` settles, then its result. */
async function runInSlicesUntil<T>(frozen: Generation, work: Promise<T>): Promise<T> {
  let settled = false;
  void work.finally(() => (settled = true)).catch(() => undefined);
  await runInSlicesUntilTrue(frozen, async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return settled;
  });
  return work;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

