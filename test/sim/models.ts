import { simErrors } from './errors.js';

/** A missing model means the default (first) one, as vLLM allows; an unknown one is a 404. */
export function resolveModel(requested: unknown, models: readonly string[]): string {
  if (requested === undefined || requested === null) return models[0];
  if (typeof requested !== 'string') throw simErrors.badRequest('"model" must be a string.', 'model');
  if (!models.includes(requested)) throw simErrors.modelNotFound(requested);
  return requested;
}

/** GET /v1/models in the OpenAI list shape. */
export function modelList(models: readonly string[], created: number): Record<string, unknown> {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created, owned_by: 'vllm', root: id, parent: null })),
  };
}
