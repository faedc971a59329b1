import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { relevance, startEngineSim, type EngineSim } from './index.js';
import { postJson } from './test-client.js';

interface RerankAnswer {
  id: string;
  model: string;
  usage: { total_tokens: number };
  results: Array<{ index: number; document?: { text: string }; relevance_score: number }>;
}

interface ScoreAnswer {
  object: string;
  model: string;
  data: Array<{ index: number; object: string; score: number }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

describe('vllm-engine-sim rerank and score', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ models: ['bge-reranker'] });
  });
  afterAll(() => sim.close());

  it('reranks documents best first, each with its index, text and a score in [0, 1]', async () => {
    const documents = ['alpha', { text: 'beta' }, 'gamma'];
    const { status, json } = await postJson<RerankAnswer>(`${sim.url}/v1/rerank`, { model: 'bge-reranker', query: 'q', documents });
    expect(status).toBe(200);
    expect(json.model).toBe('bge-reranker');
    expect(json.id).toMatch(/^rerank-/);
    expect(json.results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    const scores = json.results.map((r) => r.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const r of json.results) {
      expect(r.relevance_score).toBeGreaterThanOrEqual(0);
      expect(r.relevance_score).toBeLessThanOrEqual(1);
      expect(r.relevance_score).toBe(relevance('q', ['alpha', 'beta', 'gamma'][r.index]!));
      expect(r.document?.text).toBe(['alpha', 'beta', 'gamma'][r.index]);
    }
    expect(json.usage.total_tokens).toBeGreaterThan(0);
  });

  it('answers on /rerank and /v2/rerank too, honouring top_n and return_documents', async () => {
    for (const path of ['/rerank', '/v2/rerank']) {
      const { json } = await postJson<RerankAnswer>(`${sim.url}${path}`, { query: 'q', documents: ['a', 'b', 'c'], top_n: 2, return_documents: false });
      expect(json.results).toHaveLength(2);
      expect(json.results[0]!.document).toBeUndefined();
    }
  });

  it('scores one text against many, and lists pairwise', async () => {
    const one = await postJson<ScoreAnswer>(`${sim.url}/v1/score`, { model: 'bge-reranker', text_1: 'q', text_2: ['a', 'b'] });
    expect(one.json).toMatchObject({ object: 'list', model: 'bge-reranker' });
    expect(one.json.data).toEqual([
      { index: 0, object: 'score', score: relevance('q', 'a') },
      { index: 1, object: 'score', score: relevance('q', 'b') },
    ]);
    const pairwise = await postJson<ScoreAnswer>(`${sim.url}/score`, { text_1: ['x', 'y'], text_2: ['a', 'b'] });
    expect(pairwise.json.data.map((d) => d.score)).toEqual([relevance('x', 'a'), relevance('y', 'b')]);
  });

  it('refuses malformed requests with a 400 naming the field', async () => {
    const noQuery = await postJson<{ error: { param: string } }>(`${sim.url}/v1/rerank`, { documents: ['a'] });
    expect(noQuery.status).toBe(400);
    expect(noQuery.json.error.param).toBe('query');
    const mismatched = await postJson<{ error: { param: string } }>(`${sim.url}/v1/score`, { text_1: ['a', 'b'], text_2: ['c', 'd', 'e'] });
    expect(mismatched.status).toBe(400);
    expect(mismatched.json.error.param).toBe('text_1');
  });
});
