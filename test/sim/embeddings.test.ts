import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { embeddingVector, startEngineSim, type EngineSim } from './index.js';
import { postJson } from './test-client.js';

interface EmbeddingList {
  object: string;
  model: string;
  data: Array<{ object: string; index: number; embedding: number[] }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

describe('vllm-engine-sim embeddings', () => {
  let sim: EngineSim;
  beforeAll(async () => {
    sim = await startEngineSim({ models: ['e5-small'] });
  });
  afterAll(() => sim.close());

  it('embeds a string into a deterministic 8-dimensional unit vector', async () => {
    const first = await postJson<EmbeddingList>(`${sim.url}/v1/embeddings`, { model: 'e5-small', input: 'hello world' });
    const again = await postJson<EmbeddingList>(`${sim.url}/v1/embeddings`, { model: 'e5-small', input: 'hello world' });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ object: 'list', model: 'e5-small', usage: { prompt_tokens: 3, total_tokens: 3 } });
    const vector = first.json.data[0].embedding;
    expect(vector).toHaveLength(8);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 9);
    expect(again.json.data[0].embedding).toEqual(vector);
  });

  it('embeds each string of a list, in order, with the tokens of all inputs in usage', async () => {
    const { json } = await postJson<EmbeddingList>(`${sim.url}/v1/embeddings`, { input: ['a', 'bbbbb'] });
    expect(json.data.map((d) => [d.object, d.index])).toEqual([
      ['embedding', 0],
      ['embedding', 1],
    ]);
    expect(json.data[1].embedding).toEqual(embeddingVector('bbbbb', 8));
    expect(json.data[0].embedding).not.toEqual(json.data[1].embedding);
    expect(json.usage.prompt_tokens).toBe(1 + 2);
  });

  it('honours the dimensions parameter and rejects input that is not text', async () => {
    const wide = await postJson<EmbeddingList>(`${sim.url}/v1/embeddings`, { input: 'x', dimensions: 20 });
    expect(wide.json.data[0].embedding).toHaveLength(20);
    const bad = await postJson<{ error: { param: string } }>(`${sim.url}/v1/embeddings`, { input: [1, 2] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('input');
  });
});
