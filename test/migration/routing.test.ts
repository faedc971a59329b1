import { afterEach, describe, expect, it } from '@jest/globals';
import type { EngineFailure } from '@vllm-router/proxy';
import { eventually } from '../helpers/http.js';
import { tableOf } from '../helpers/router.js';
import { outputText } from '../sim/index.js';
import { accessLine, MODEL, readChatStream, readTextStream, startFleet, type Fleet } from './harness.js';

describe('where a migrated request goes, and what is reported', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  const messages = [{ role: 'user' as const, content: 'hello' }];

  it('reports the failed engine through the routing core hook, and never sends the continuation there', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}, {}] });
    const failures: EngineFailure[] = [];
    fleet.router.app.core.onEngineFailure((f) => failures.push(f));
    await readChatStream(await fleet.client.chat.completions.create({ model: MODEL, messages, stream: true }));
    expect(failures.map((f) => [f.engine.id, f.model, f.reason])).toEqual([['e0', MODEL, 'connection_lost']]);
    expect(fleet.engines[0]!.stats.requests['/v1/chat/completions']).toBe(1);
  });

  it('the access line says the request was migrated, from where to where', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4, deathMode: 'error-event' }, {}] });
    await readTextStream(await fleet.client.completions.create({ model: MODEL, prompt: 'x', stream: true }));
    await eventually(() => fleet!.log.some((l) => l.includes(' path=/v1/completions ')));
    const [e0, e1] = fleet.engines.map((e) => e.url);
    expect(accessLine(fleet, '/v1/completions')).toMatch(new RegExp(` engine=${e0} status=200 .* migrated=${e0}->${e1}\\(error_event\\)$`));
  });

  it('a chat continuation goes only to engines that can continue an assistant message (vLLM, SGLang)', async () => {
    fleet = await startFleet({ engines: [{ dieAfterChunks: 4 }, {}, {}], table: { kinds: ['vllm', 'openai', 'sglang'] } });
    const seen = await readChatStream(await fleet.client.chat.completions.create({ model: MODEL, messages, stream: true }));
    expect([...new Set(seen.fingerprints)]).toEqual(['e0', 'e2']);
    expect(fleet.engines[1]!.stats.requests['/v1/chat/completions']).toBeUndefined();
  });

  it('a prefix-aware pick sees the longer prompt: the continuation goes where the answer so far is cached', async () => {
    // Blocks of 8 characters; P is 2 blocks. e1 holds P; e2 holds P + 8 words of the answer. With the
    // original prompt, e1 and e2 would tie on P and the less loaded e1 would win; the continuation
    // (P + 4 words) matches one block more on e2.
    const P = 'Tell fox story:\n';
    const engines = [{ dieAfterChunks: 4, tokenDelayMs: 40 }, {}, { tokenDelayMs: 20 }];
    fleet = await startFleet({ engines, table: { routingLogic: 'prefixaware', prefix: { blockChars: 8 } } });
    const f = fleet;
    const only = (ready: number[]) =>
      f.router.app.applyTable(
        tableOf({ routingLogic: 'prefixaware', prefix: { blockChars: 8 }, engines: f.engines.map((e, i) => ({ url: e.url, id: `e${i}`, models: [MODEL], ready: ready.includes(i) })) }),
        'static',
      );
    only([1]);
    await f.client.completions.create({ model: MODEL, prompt: P, max_tokens: 1 });
    only([2]);
    await f.client.completions.create({ model: MODEL, prompt: P + outputText(8), max_tokens: 1 });
    only([0]);
    // Load on e2 (a stream pinned there), so that only the longer match can make it win.
    const busy = f.client.completions.create({ model: MODEL, prompt: 'busy', max_tokens: 40, stream: true }, { query: { id: 'e2' } }).then(readTextStream);
    const stream = await f.client.completions.create({ model: MODEL, prompt: P, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    only([0, 1, 2]);
    const rest = await readTextStream({ [Symbol.asyncIterator]: () => iterator });
    await busy;
    expect(first.value?.system_fingerprint).toBe('e0');
    expect([...new Set(rest.fingerprints)]).toEqual(['e0', 'e2']);
    expect((first.value?.choices[0]?.text ?? '') + rest.text).toBe(outputText(12));
    expect(f.engines[1]!.stats.requests['/v1/completions']).toBe(1);
  });
});
