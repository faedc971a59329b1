import type { EngineEntry } from '@vllm-router/common/routing-table';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import type { ModelCard } from './model-cards.js';

export interface ModelListSources {
  /** The last cards an engine published (empty when none were read yet). */
  cardsOf(engineId: string): readonly ModelCard[];
  /** Engines taking traffic now come first when their cards are merged. */
  isRoutable(engine: EngineEntry, model: string): boolean;
  /** Unix seconds for cards the router has to make up (no engine card read yet). */
  created: number;
}

/** An entry of GET /v1/models: the engine's card, or one made up by the router, or an alias of one. */
export type ListedModel = ModelCard & { object: 'model' };

/**
 * GET /v1/models as the engines describe their models: each served model once, with the card of
 * the first engine that published one (engines taking traffic first) and the smallest
 * `max_model_len` any engine gave (a prompt that fits it fits every engine). LoRA adapters keep
 * their `parent`. A model whose engines published no card yet gets one made up by the router
 * (`owned_by: "vllm-router"`, `root: null`). Each alias follows, as a copy of its model's card
 * with the alias as `id` and `alias_for` naming the model.
 */
export function listModels(snapshot: RoutingSnapshot, sources: ModelListSources): { object: 'list'; data: ListedModel[] } {
  const byModel = new Map<string, ListedModel>();
  for (const model of snapshot.models()) byModel.set(model, mergedCard(model, snapshot.enginesServing(model), sources));
  const aliases: ListedModel[] = [];
  for (const [alias, target] of Object.entries(snapshot.table.aliases)) {
    const card = byModel.get(target);
    if (card) aliases.push({ ...card, id: alias, alias_for: target });
  }
  return { object: 'list', data: [...byModel.values(), ...aliases] };
}

function mergedCard(model: string, engines: readonly EngineEntry[], sources: ModelListSources): ListedModel {
  const ordered = [...engines.filter((e) => sources.isRoutable(e, model)), ...engines.filter((e) => !sources.isRoutable(e, model))];
  let first: ModelCard | undefined;
  let maxModelLen: number | undefined;
  for (const engine of ordered) {
    const card = sources.cardsOf(engine.id).find((c) => c.id === model);
    if (!card) continue;
    first ??= card;
    const len = card.max_model_len;
    if (typeof len === 'number' && Number.isFinite(len) && len > 0) maxModelLen = Math.min(maxModelLen ?? len, len);
  }
  if (!first) return { id: model, object: 'model', created: sources.created, owned_by: 'vllm-router', root: null, parent: null };
  return { ...first, id: model, object: 'model', ...(maxModelLen !== undefined ? { max_model_len: maxModelLen } : {}) };
}
