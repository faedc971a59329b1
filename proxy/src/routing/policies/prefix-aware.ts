import { DEFAULT_PREFIX_PARAMS, type EngineEntry, type PrefixParams } from '@vllm-router/common/routing-table';
import { blockHashes } from '../prefix/block-hash.js';
import { PrefixIndex, type CachePressure } from '../prefix/prefix-index.js';
import { promptTextOf } from '../prefix/prompt-text.js';
import { engineLoad, leastLoadedOf, TieRotation } from './leastload.js';
import type { PickRequest, PolicyContext, RequestOutcome, RoutingPolicy } from './policy.js';

/** Characters per token assumed when an engine's KV capacity (in tokens) sizes its index. */
const CHARS_PER_TOKEN = 4;

/**
 * `prefixaware` (and `kvaware`): cache-aware routing with load override, after SGLang's cache_aware
 * and llm-d's approximate prefix scorer.
 *
 * - The prompt (all chat messages, rendered) is hashed as a chain of `blockChars`-character blocks.
 * - Load per engine = in flight here + queue depth and KV use from scraped metrics (engineLoad).
 * - An engine whose load exceeds the least loaded one's by more than balanceAbsThreshold and more
 *   than balanceRelThreshold times is overloaded: it loses its affinity for now.
 * - Among the others, the engine with the longest leading match, if matched/total >= minMatchRatio,
 *   the match covers at least minMatchChars characters and (kvaware) leaves at most
 *   maxUnmatchedChars of the prompt unmatched;
 *   ties (several engines hold the prefix) go to the least loaded.
 *   A request diverted from an overloaded holder is recorded where it went, so a hot prefix gains
 *   a second home instead of piling onto one engine.
 * - A prompt no engine holds enough of (below the ratio) is placed by cache pressure, not by the
 *   momentary load: among the engines that are not overloaded, the one with the most free room in
 *   the index, then the one whose cached blocks last longest, then the least loaded. Placing new
 *   prefixes by load alone made where each shared document lived depend on which engine happened
 *   to be idle when its first turn came: some runs put three documents on one engine and one on
 *   another, and the crowded engine thrashed for the rest of the run (issue 17).
 * - The chosen engine's blocks are recorded in a per-engine LRU, bounded by maxBlocksPerEngine and,
 *   when the engine publishes it, by its KV capacity: the index forgets what the engine must have
 *   evicted.
 */
export class PrefixAwarePolicy implements RoutingPolicy {
  readonly index = new PrefixIndex();
  /** The blocks recorded for each request in flight, to take back if the engine fails it. */
  private readonly recorded = new WeakMap<PickRequest, readonly number[]>();
  private readonly ties = new TieRotation();
  /** Matched and hashed prompt characters of each pick, for traces. */
  private readonly matches = new WeakMap<PickRequest, { matched: number; hashed: number }>();

  constructor(
    readonly name: 'prefixaware' | 'kvaware' = 'prefixaware',
    /** kvaware (reference --kv-aware-threshold, in characters): most of the prompt a match may leave unmatched; 0 = no limit. */
    private readonly maxUnmatchedChars = 0,
  ) {}

  pick(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry {
    const params = context.snapshot.memo('prefix-params', () => ({ ...DEFAULT_PREFIX_PARAMS, ...context.snapshot.table.prefix }));
    const loads = candidates.map((e) => engineLoad(e, context));
    const text = promptTextOf(request, params.blockChars * params.maxBlocks);
    const hashes = text === undefined ? [] : blockHashes(request.model, text, params.blockChars, params.maxBlocks);
    if (hashes.length === 0) return leastLoadedOf(candidates, loads, this.ties);
    const { engine: choice, matchedBlocks } = this.choose(hashes, candidates, loads, params, context);
    this.matches.set(request, { matched: matchedBlocks * params.blockChars, hashed: hashes.length * params.blockChars });
    this.index.record(choice.id, hashes, this.capacityOf(choice, context, params));
    this.recorded.set(request, hashes);
    return choice;
  }

  /**
   * The engine holding the longest cached prefix of this prompt, when the match is long enough for
   * affinity (minMatchRatio, minMatchChars); ties go to the least loaded. Load does not override it
   * here: admission waits a bounded time for this engine instead. Reads the index, records nothing.
   */
  preferredEngine(request: PickRequest, candidates: readonly EngineEntry[], context: PolicyContext): EngineEntry | undefined {
    const params = context.snapshot.memo('prefix-params', () => ({ ...DEFAULT_PREFIX_PARAMS, ...context.snapshot.table.prefix }));
    const text = promptTextOf(request, params.blockChars * params.maxBlocks);
    const hashes = text === undefined ? [] : blockHashes(request.model, text, params.blockChars, params.maxBlocks);
    if (hashes.length === 0) return undefined;
    const matched = this.index.matchLengths(hashes, candidates.map((e) => e.id));
    const best = Math.max(...matched);
    if (best === 0 || best / hashes.length < params.minMatchRatio || best * params.blockChars < params.minMatchChars) return undefined;
    const holders = candidates.filter((_, i) => matched[i] === best);
    return leastLoadedOf(holders, holders.map((e) => engineLoad(e, context)));
  }

  onRequestEnd(request: PickRequest, engine: EngineEntry, outcome: RequestOutcome): void {
    const hashes = this.recorded.get(request);
    if (hashes && !outcome.ok) this.index.forget(engine.id, hashes);
  }

  retainEngines(engineIds: ReadonlySet<string>): void {
    this.index.retain(engineIds);
  }

  explain(request: PickRequest): Readonly<Record<string, number>> | undefined {
    const m = this.matches.get(request);
    return m && { prefix_match_chars: m.matched, prefix_hashed_chars: m.hashed, prefix_match_ratio: m.hashed > 0 ? m.matched / m.hashed : 0 };
  }

  /**
   * Affinity among the engines that are not overloaded: an engine is too busy for affinity when its
   * load exceeds the least loaded engine's by more than balanceAbsThreshold and by more than
   * balanceRelThreshold times (SGLang's imbalance test, applied per engine rather than to the whole
   * pool, so one busy engine elsewhere does not break every other engine's affinity).
   */
  private choose(hashes: readonly number[], candidates: readonly EngineEntry[], loads: readonly number[], params: PrefixParams, context: PolicyContext): { engine: EngineEntry; matchedBlocks: number } {
    const min = Math.min(...loads);
    const matched = this.index.matchLengths(hashes, candidates.map((e) => e.id));
    let best = 0;
    for (let i = 0; i < candidates.length; i++) {
      const overloaded = loads[i]! - min > params.balanceAbsThreshold && loads[i]! > min * params.balanceRelThreshold;
      if (overloaded) matched[i] = -1;
      else if (matched[i]! > best) best = matched[i]!;
    }
    const unmatchedChars = (hashes.length - best) * params.blockChars;
    const cold = () => {
      const open = candidates.filter((_, i) => matched[i]! >= 0);
      const engine = this.placeCold(open, loads.filter((_, i) => matched[i]! >= 0), context, params);
      return { engine, matchedBlocks: Math.max(0, matched[candidates.indexOf(engine)] ?? 0) };
    };
    if (best === 0 || best / hashes.length < params.minMatchRatio || best * params.blockChars < params.minMatchChars) return cold();
    if (this.maxUnmatchedChars > 0 && unmatchedChars > this.maxUnmatchedChars) return cold();
    const holders = candidates.filter((_, i) => matched[i] === best);
    return { engine: leastLoadedOf(holders, loads.filter((_, i) => matched[i] === best), this.ties), matchedBlocks: best };
  }

  /**
   * Where a prompt that no engine holds goes (see the class comment): the engine with the most free
   * room; among full ones, the one whose least recently used block is oldest (on a log scale, so
   * near-equal turnover does not override load); then the least loaded.
   */
  private placeCold(open: readonly EngineEntry[], loads: readonly number[], context: PolicyContext, params: PrefixParams): EngineEntry {
    const capacities = this.capacitiesOf(open, context, params);
    const now = this.index.now;
    const keys = open.map((e, i) => coldPlacementKey(this.index.pressure(e.id, capacities[i]!), now));
    let bestRoom = -Infinity;
    let bestAge = -Infinity;
    for (const [room, age] of keys) {
      if (room > bestRoom) [bestRoom, bestAge] = [room, age];
      else if (room === bestRoom && age > bestAge) bestAge = age;
    }
    const fit = (_: unknown, i: number) => keys[i]![0] === bestRoom && keys[i]![1] === bestAge;
    return leastLoadedOf(open.filter(fit), loads.filter(fit), this.ties);
  }

  /**
   * Each engine's index capacity for comparing them: an engine whose metrics were not scraped yet is
   * taken to be like the smallest one that was (engines of one model are usually alike), so the
   * order in which the first scrapes land does not make one engine look fuller than the rest.
   */
  private capacitiesOf(engines: readonly EngineEntry[], context: PolicyContext, params: PrefixParams): number[] {
    const published = engines.map((e) => this.publishedCapacity(e, context, params));
    const known = published.filter((c): c is number => c !== undefined);
    const fallback = known.length > 0 ? Math.min(...known) : params.maxBlocksPerEngine;
    return published.map((c) => c ?? fallback);
  }

  private capacityOf(engine: EngineEntry, context: PolicyContext, params: PrefixParams): number {
    return this.publishedCapacity(engine, context, params) ?? params.maxBlocksPerEngine;
  }

  /** Index blocks the engine's published KV capacity holds, when it publishes one. */
  private publishedCapacity(engine: EngineEntry, context: PolicyContext, params: PrefixParams): number | undefined {
    const kvTokens = context.signals?.signals(engine.id)?.kvCapacityTokens;
    if (kvTokens === undefined) return undefined;
    return Math.max(1, Math.min(params.maxBlocksPerEngine, Math.floor((kvTokens * CHARS_PER_TOKEN) / params.blockChars)));
  }
}

/**
 * [free blocks, log2 of how many records ago the least recently used block was last used (0 while
 * there is room)]: larger is a better home for a new prefix. An empty engine's age is the whole history.
 */
function coldPlacementKey(pressure: CachePressure, now: number): [number, number] {
  const age = pressure.oldestUse < 0 ? now : now - pressure.oldestUse;
  return [pressure.freeBlocks, pressure.freeBlocks > 0 ? 0 : Math.floor(Math.log2(1 + age))];
}
