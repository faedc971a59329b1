import { simErrors } from './errors.js';

/** A missing model means the default (first) one, as vLLM allows; an unknown one is a 404. */
export function resolveModel(requested: unknown, models: readonly string[]): string {
  if (requested === undefined || requested === null) return models[0];
  if (typeof requested !== 'string') throw simErrors.badRequest('"model" must be a string.', 'model');
  if (!models.includes(requested)) throw simErrors.modelNotFound(requested);
  return requested;
}

/** The sim's context length, as `max_model_len` on its cards (it truncates nothing). */
export const SIM_MAX_MODEL_LEN = 32_768;

/** GET /v1/models with vLLM's card fields: owned_by vllm, root (vLLM: the model path), parent, max_model_len, permission. */
export function modelList(models: readonly string[], created: number): Record<string, unknown> {
  return {
    object: 'list',
    data: models.map((id) => ({
      id,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: id,
      parent: null,
      max_model_len: SIM_MAX_MODEL_LEN,
      permission: [{ id: `modelperm-${id}`, object: 'model_permission', created, allow_create_engine: false, allow_sampling: true, allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*', group: null, is_blocking: false }],
    })),
  };
}
