import type { EngineContext } from './engine-context.js';
import { embeddingVector } from './embeddings.js';
import { sendJson, simErrors } from './errors.js';
import type { Exchange } from './exchange.js';
import { resolveModel } from './models.js';
import { countTokens } from './tokens.js';

const DIMENSIONS = 16;

/** Relevance of two texts in [0, 1]: the cosine of their deterministic embeddings, rescaled. */
export function relevance(a: string, b: string): number {
  const x = embeddingVector(a, DIMENSIONS);
  const y = embeddingVector(b, DIMENSIONS);
  const cosine = x.reduce((sum, v, i) => sum + v * y[i]!, 0);
  return (cosine + 1) / 2;
}

let nextId = 0;
const idOf = (kind: string) => `${kind}-sim${(++nextId).toString(16).padStart(8, '0')}`;

/** POST /v1/rerank (also /rerank, /v2/rerank): vLLM's Jina/Cohere-style rerank, best first. */
export function handleRerank(ex: Exchange, body: Record<string, unknown>, engine: EngineContext): void {
  const model = resolveModel(body.model, engine.models);
  if (typeof body.query !== 'string') throw simErrors.badRequest('"query" must be a string.', 'query');
  const query = body.query;
  const documents = readDocuments(body.documents);
  const topN = body.top_n === undefined || body.top_n === null ? documents.length : body.top_n;
  if (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1) throw simErrors.badRequest('"top_n" must be a positive integer.', 'top_n');
  const returnDocuments = body.return_documents !== false;
  const results = documents
    .map((text, index) => ({ index, ...(returnDocuments ? { document: { text } } : {}), relevance_score: relevance(query, text) }))
    .sort((p, q) => q.relevance_score - p.relevance_score)
    .slice(0, topN);
  const tokens = documents.reduce((sum, text) => sum + countTokens(query) + countTokens(text), 0);
  sendJson(ex.res, 200, { id: idOf('rerank'), model, usage: { total_tokens: tokens }, results });
}

/** POST /v1/score (also /score): one text against many, or pairwise lists of the same length. */
export function handleScore(ex: Exchange, body: Record<string, unknown>, engine: EngineContext): void {
  const model = resolveModel(body.model, engine.models);
  const left = readTexts(body.text_1, 'text_1');
  const right = readTexts(body.text_2, 'text_2');
  if (left.length !== 1 && left.length !== right.length)
    throw simErrors.badRequest('"text_1" must be one text, or as many texts as "text_2".', 'text_1');
  const pairs = right.map((text, i) => [left.length === 1 ? left[0]! : left[i]!, text] as const);
  const data = pairs.map(([a, b], index) => ({ index, object: 'score', score: relevance(a, b) }));
  const tokens = pairs.reduce((sum, [a, b]) => sum + countTokens(a) + countTokens(b), 0);
  sendJson(ex.res, 200, {
    id: idOf('score'),
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 },
  });
}

function readDocuments(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw simErrors.badRequest('"documents" must be a non-empty array.', 'documents');
  return value.map((d) => {
    if (typeof d === 'string') return d;
    if (typeof d === 'object' && d !== null && typeof (d as { text?: unknown }).text === 'string') return (d as { text: string }).text;
    throw simErrors.badRequest('Each document must be a string or {"text": string}.', 'documents');
  });
}

function readTexts(value: unknown, param: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'string')) return value as string[];
  throw simErrors.badRequest(`"${param}" must be a string or a non-empty array of strings.`, param);
}
