import { describe, expect, it } from '@jest/globals';
import { finalizeTable, type EngineEntry } from '@vllm-router/common/routing-table';
import { RoutingSnapshot } from '../routing/snapshot.js';
import { parseCards, type ModelCard } from './model-cards.js';
import { listModels } from './model-list.js';

const engine = (id: string, models: string[], ready = true): EngineEntry => ({ id, url: `http://${id}`, models, backendKind: 'vllm', labels: {}, ready });
const snapshotOf = (engines: EngineEntry[], aliases: Record<string, string> = {}) =>
  new RoutingSnapshot(finalizeTable({ source: 'static', routingLogic: 'roundrobin', engines, aliases, modelTypes: {} }));

/** A vLLM 0.32 card, as a real engine sent it. */
const vllmCard = (id: string, extra: Partial<ModelCard> = {}): ModelCard => ({
  id,
  object: 'model',
  created: 1796116733,
  owned_by: 'vllm',
  root: '/models/llama',
  parent: null,
  max_model_len: 4096,
  permission: [{ id: 'modelperm-1', object: 'model_permission' }],
  ...extra,
});

describe('GET /v1/models from the engines\' cards', () => {
  it('passes each model\'s card through once, with the smallest max_model_len of its engines', () => {
    const cards = new Map<string, ModelCard[]>([
      ['a', [vllmCard('llama', { max_model_len: 8192 })]],
      ['b', [vllmCard('llama', { max_model_len: 4096 })]],
    ]);
    const list = listModels(snapshotOf([engine('a', ['llama']), engine('b', ['llama'])]), { cardsOf: (id) => cards.get(id) ?? [], isRoutable: () => true, created: 1 });
    expect(list.data).toEqual([{ ...vllmCard('llama'), max_model_len: 4096 }]);
  });

  it('keeps a LoRA adapter\'s parent, and takes the card of an engine taking traffic first', () => {
    const cards = new Map<string, ModelCard[]>([
      ['down', [vllmCard('base', { root: '/old' })]],
      ['up', [vllmCard('base', { root: '/models/base' }), vllmCard('sql-lora', { root: '/adapters/sql', parent: 'base' })]],
    ]);
    const list = listModels(snapshotOf([engine('down', ['base']), engine('up', ['base', 'sql-lora'])]), {
      cardsOf: (id) => cards.get(id) ?? [],
      isRoutable: (e) => e.id === 'up',
      created: 1,
    });
    expect(list.data.map((c) => [c.id, c.root, c.parent])).toEqual([
      ['base', '/models/base', null],
      ['sql-lora', '/adapters/sql', 'base'],
    ]);
  });

  it('marks aliases: a copy of the target\'s card with the alias as id and alias_for', () => {
    const cards = new Map<string, ModelCard[]>([['a', [vllmCard('llama')]]]);
    const list = listModels(snapshotOf([engine('a', ['llama'])], { gpt4: 'llama', ghost: 'nobody' }), { cardsOf: (id) => cards.get(id) ?? [], isRoutable: () => true, created: 1 });
    expect(list.data[1]).toEqual({ ...vllmCard('llama'), id: 'gpt4', alias_for: 'llama' });
    expect(list.data).toHaveLength(2); // an alias of a model no engine serves is not listed
  });

  it('makes a card up, saying so, for a model whose engines published none yet', () => {
    const list = listModels(snapshotOf([engine('a', ['m'])]), { cardsOf: () => [], isRoutable: () => true, created: 42 });
    expect(list.data).toEqual([{ id: 'm', object: 'model', created: 42, owned_by: 'vllm-router', root: null, parent: null }]);
  });

  it('reads cards defensively: malformed entries are skipped, a malformed list gives none', () => {
    expect(parseCards('{"data":[{"id":"a"},{"id":""},{"id":3},null,[],"x",{"id":"b","max_model_len":5}]}').map((c) => c.id)).toEqual(['a', 'b']);
    expect(parseCards('{"data":{}}')).toEqual([]);
    expect(parseCards('not json')).toEqual([]);
    expect(parseCards('null')).toEqual([]);
  });
});
