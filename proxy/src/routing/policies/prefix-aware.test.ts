import { describe, expect, it } from '@jest/globals';
import { finalizeTable, type EngineEntry, type PrefixParams } from '@vllm-router/common/routing-table';
import { LoadTracker } from '../load-tracker.js';
import { blockHashes } from '../prefix/block-hash.js';
import { promptTextOf } from '../prefix/prompt-text.js';
import { RoutingSnapshot } from '../snapshot.js';
import type { EngineSignals, PickRequest, PolicyContext } from './policy.js';
import { PrefixAwarePolicy } from './prefix-aware.js';

const engines: EngineEntry[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, url: `http://${id}`, models: ['m'], backendKind: 'vllm', labels: {}, ready: true }));

function setup(prefix: Partial<PrefixParams> = {}, signals: Record<string, EngineSignals> = {}, policy = new PrefixAwarePolicy()) {
  const snapshot = new RoutingSnapshot(finalizeTable({ source: 'static', routingLogic: 'prefixaware', prefix, engines, aliases: {}, modelTypes: {} }));
  const load = new LoadTracker();
  const context: PolicyContext = { snapshot, load, signals: { signals: (id) => signals[id] } };
  const pick = (request: PickRequest) => policy.pick(request, engines, context).id;
  /** Put n requests in flight on an engine. */
  const busy = (id: string, n: number) => Array.from({ length: n }, () => load.begin(id));
  return { policy, pick, busy, load };
}

const documents = Array.from({ length: 8 }, (_, d) => `Document ${d}: ${'lorem ipsum dolor sit amet '.repeat(80)}`);
const chat = (doc: number, ...turns: string[]): PickRequest => ({
  model: 'm',
  path: '/v1/chat/completions',
  headers: {},
  body: { model: 'm', messages: [{ role: 'system', content: documents[doc] }, ...turns.map((content, i) => ({ role: i % 2 ? 'assistant' : 'user', content }))] },
});

describe('prefixaware policy', () => {
  it('sends prompts that share a long prefix to the engine that has it cached', () => {
    const { pick } = setup();
    const first = pick(chat(0, 'What is this about?'));
    for (let i = 0; i < 5; i++) expect(pick(chat(0, `Another question ${i}`))).toBe(first);
  });

  it('spreads different documents across engines while the pool is idle', () => {
    const { pick } = setup();
    const homes = new Set(documents.slice(0, 4).map((_, d) => pick(chat(d, 'q'))));
    expect(homes.size).toBe(4);
  });

  it('follows a conversation: the engine that served the last turn holds the longest prefix', () => {
    const { pick, policy } = setup();
    const question = 'a first question, long enough to fill a few blocks. '.repeat(4);
    const home = pick(chat(1, question));
    // Another engine holds the document alone.
    const other = engines.find((e) => e.id !== home)!.id;
    policy.index.record(other, blockHashes('m', promptTextOf(chat(1), 100_000)!, 64, 256), 1000);
    for (let i = 0; i < 4; i++) expect(pick(chat(1, question, 'an answer', `follow-up ${i}`))).toBe(home);
  });

  it('kvaware: keeps affinity only while the unmatched rest of the prompt is within --kv-aware-threshold', () => {
    const strict = setup({ minMatchRatio: 0 }, {}, new PrefixAwarePolicy('kvaware', 200));
    const home = strict.pick(chat(4, 'q'));
    strict.busy(home, 1);
    expect(strict.pick(chat(4, 'q'))).toBe(home);
    // The same document with a long new question: more than 200 characters unmatched.
    expect(strict.pick(chat(4, 'a new question that is long enough to leave several blocks unmatched. '.repeat(6)))).not.toBe(home);
  });

  it('needs a match of at least minMatchChars characters (--prefix-min-match-length) for affinity', () => {
    const { pick, busy } = setup({ minMatchRatio: 0, minMatchChars: 100_000 });
    const home = pick(chat(3, 'x'));
    busy(home, 1);
    expect(pick(chat(3, 'x'))).not.toBe(home);
  });

  it('goes to the least loaded engine when too little of the prompt is cached', () => {
    const { pick, busy } = setup({ minMatchRatio: 0.9 });
    const home = pick(chat(2, 'x'));
    busy(home, 1);
    // The document is ~2,100 characters; a 4,000-character question makes the cached share ~35%.
    expect(pick(chat(2, 'y'.repeat(4000)))).not.toBe(home);
  });

  it('lets load win when the pool is imbalanced, and then both engines hold the prefix', () => {
    const { pick, busy } = setup({ balanceAbsThreshold: 4, balanceRelThreshold: 1.5 });
    const home = pick(chat(3, 'q'));
    const release = busy(home, 6);
    const overflow = pick(chat(3, 'q2'));
    expect(overflow).not.toBe(home);
    // Balanced again: either engine with the prefix may serve it, the least loaded of the two first.
    for (const end of release) end();
    const both = new Set(Array.from({ length: 6 }, (_, i) => pick(chat(3, `q${i + 3}`))));
    expect(both).toEqual(new Set([home, overflow]));
  });

  it('keeps affinity under moderate imbalance (below the thresholds)', () => {
    const { pick, busy } = setup();
    const home = pick(chat(4, 'q'));
    busy(home, 5);
    expect(pick(chat(4, 'q2'))).toBe(home);
  });

  it('routes prompts shorter than one block by load alone, without recording them', () => {
    const { pick, policy, busy } = setup();
    busy('a', 2);
    busy('b', 2);
    busy('c', 2);
    expect(pick({ model: 'm', path: '/v1/completions', headers: {}, body: { model: 'm', prompt: 'hi' } })).toBe('d');
    expect(policy.index.distinctBlocks).toBe(0);
  });

  it('bounds its index by maxBlocksPerEngine, and by the engine\'s KV capacity when it is published', () => {
    const capped = setup({ maxBlocksPerEngine: 50 });
    const kv = setup({}, Object.fromEntries(engines.map((e) => [e.id, { running: 0, waiting: 0, kvUsage: 0, kvCapacityTokens: 16 * 40 }])));
    for (let i = 0; i < 200; i++) {
      const request: PickRequest = { model: 'm', path: '/v1/completions', headers: {}, body: { model: 'm', prompt: `${i} ${'z'.repeat(3000)}` } };
      capped.pick(request);
      kv.pick(request);
    }
    for (const size of Object.values(capped.policy.index.sizes())) expect(size).toBeLessThanOrEqual(50);
    // 40 blocks of 16 tokens, ~4 characters a token, 64-character blocks: 40 hashes per engine.
    for (const size of Object.values(kv.policy.index.sizes())) expect(size).toBeLessThanOrEqual(40);
  });

  it('forgets what it recorded for a request the engine failed, and engines that left the table', () => {
    const { pick, policy } = setup();
    const request = chat(5, 'q');
    const home = pick(request);
    const engine = engines.find((e) => e.id === home)!;
    policy.onRequestEnd(request, engine, { ok: false });
    expect(policy.index.distinctBlocks).toBe(0);
    pick(chat(6, 'q'));
    policy.retainEngines(new Set());
    expect(policy.index.distinctBlocks).toBe(0);
  });

  it('names the engine holding the prompt\'s prefix as preferred, records nothing, and names none without a match', () => {
    const { pick, policy, busy, load } = setup();
    const context = { snapshot: new RoutingSnapshot(finalizeTable({ source: 'static', routingLogic: 'prefixaware', engines, aliases: {}, modelTypes: {} })), load };
    expect(policy.preferredEngine(chat(7, 'q'), engines, context)).toBeUndefined();
    const home = pick(chat(7, 'q'));
    const blocks = policy.index.distinctBlocks;
    busy(home, 20); // load never overrides the preference: admission waits for the engine instead
    expect(policy.preferredEngine(chat(7, 'another question'), engines, context)?.id).toBe(home);
    expect(policy.index.distinctBlocks).toBe(blocks);
    expect(policy.preferredEngine(chat(7, 'q'), engines.filter((e) => e.id !== home), context)).toBeUndefined();
  });

  describe('placing documents no engine holds yet (issue 17: the same workload landed in a good or a bad mode)', () => {
    /** Each request ends at once: only the other traffic (`busy`) is in flight. */
    const homesOf = (pick: (r: PickRequest) => string, docs: number[]) => docs.map((d) => pick(chat(d, 'first question')));
    const countPerEngine = (homes: string[]) => engines.map((e) => homes.filter((h) => h === e.id).length);

    it('spreads new documents by cache room, not onto whichever engine is idle when each first turn comes', () => {
      // Engines b, c and d are each busy with one other request whenever a new document arrives,
      // engine a is idle every time: by load alone a took documents 0, 1, 2 and 3 and the others none,
      // and a thrashed for the rest of the run.
      const { pick, busy } = setup();
      busy('b', 1);
      busy('c', 1);
      busy('d', 1);
      const homes = homesOf(pick, [0, 1, 2, 3]);
      expect(new Set(homes).size).toBe(4);
      expect(countPerEngine([...homes, ...homesOf(pick, [4, 5, 6, 7])])).toEqual([2, 2, 2, 2]);
    });

    it('places them the same way whatever the engine metrics said at that instant (the scrape phase)', () => {
      const quiet = setup();
      const scraped = setup({}, { a: { running: 1, waiting: 0, kvUsage: 0.05 }, b: { running: 0, waiting: 1, kvUsage: 0.4 }, c: { running: 2, waiting: 0, kvUsage: 0.2 }, d: { running: 0, waiting: 0, kvUsage: 0 } });
      const docs = [0, 1, 2, 3, 4, 5, 6, 7];
      expect(countPerEngine(homesOf(quiet.pick, docs))).toEqual([2, 2, 2, 2]);
      expect(countPerEngine(homesOf(scraped.pick, docs))).toEqual([2, 2, 2, 2]);
    });

    it('does not count an engine as fuller because its metrics were scraped before the others\'', () => {
      // Only a's KV capacity (300 blocks) is known yet; b, c and d are taken to be alike.
      const { pick } = setup({}, { a: { running: 0, waiting: 0, kvUsage: 0, kvCapacityTokens: 16 * 300 } });
      expect(countPerEngine(homesOf(pick, [0, 1, 2, 3, 4, 5, 6, 7]))).toEqual([2, 2, 2, 2]);
    });

    it('when every engine is full, puts a new document where cached blocks last longest, over a slightly lower load', () => {
      // 40 blocks of 64 characters per engine; one ~2,100-character document (33 blocks) fills it.
      const full = { running: 0, waiting: 0, kvUsage: 0, kvCapacityTokens: 16 * 40 };
      const { pick, busy, policy } = setup({}, { a: full, b: full, c: full, d: full });
      const longQuestion = (n: number) => `question ${n} ${'with a long quotation from the document '.repeat(12)}`;
      const homes = [0, 1, 2, 3].map((d) => pick(chat(d, longQuestion(d))));
      expect(new Set(homes).size).toBe(4);
      expect(Object.values(policy.index.sizes())).toEqual([40, 40, 40, 40]);
      const quiet = homes[3]!;
      // The other three documents stay in use; the fourth engine's cache goes untouched.
      for (let i = 0; i < 12; i++) pick(chat(i % 3, longQuestion(10 + i)));
      expect(homes.slice(0, 3)).not.toContain(quiet);
      busy(quiet, 2);
      expect(pick(chat(4, 'a new document'))).toBe(quiet);
    });

    it('still keeps a new document off an overloaded engine, however much room it has', () => {
      const { pick, busy } = setup({ balanceAbsThreshold: 4, balanceRelThreshold: 1.5 });
      busy('d', 6);
      const counts = countPerEngine(homesOf(pick, [0, 1, 2, 3]));
      // d is empty but has 6 more requests in flight than the others: a, b and c share the four.
      expect(counts[3]).toBe(0);
      expect(counts.slice(0, 3).sort()).toEqual([1, 1, 2]);
    });
  });
});
