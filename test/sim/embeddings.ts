import { createHash } from 'node:crypto';
import type { EngineContext } from './engine-context.js';
import { sendJson, simErrors } from './errors.js';
import type { Exchange } from './exchange.js';
import { resolveModel } from './models.js';
import { countTokens } from './tokens.js';

const MAX_DIMENSIONS = 4096;

/** A unit vector derived from SHA-256 of the text: the same input always embeds the same way. */
export function embeddingVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}\0${text}`).digest();
    for (let at = 0; at + 4 <= digest.length && values.length < dimensions; at += 4) {
      values.push((digest.readUInt32LE(at) / 0xffffffff) * 2 - 1);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

/** POST /v1/embeddings: string or string[] input, float or base64 (little-endian float32, as the OpenAI SDK asks). */
export function handleEmbeddings(ex: Exchange, body: Record<string, unknown>, engine: EngineContext): void {
  const model = resolveModel(body.model, engine.models);
  const inputs = readInputs(body.input);
  const dimensions = readDimensions(body.dimensions, engine.embeddingDimensions);
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw simErrors.badRequest('"encoding_format" must be "float" or "base64".', 'encoding_format');
  }
  const data = inputs.map((text, index) => {
    const vector = embeddingVector(text, dimensions);
    const embedding = format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
  sendJson(ex.res, 200, { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

function readInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === 'string')) return input as string[];
  throw simErrors.badRequest('"input" must be a string or a non-empty array of strings.', 'input');
}

function readDimensions(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DIMENSIONS) {
    throw simErrors.badRequest(`"dimensions" must be an integer in [1, ${MAX_DIMENSIONS}].`, 'dimensions');
  }
  return value;
}
