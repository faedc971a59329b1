import { simErrors } from './errors.js';
import type { FinishReason } from './serving-model.js';

export interface OutputPlan {
  tokens: number;
  finishReason: Exclude<FinishReason, 'abort'>;
}

/**
 * The sim "wants" to say `natural` tokens; max_completion_tokens (or the older max_tokens) caps it, ending with
 * finish_reason "length". With vLLM's ignore_eos the output is exactly the cap, as benchmark clients expect.
 */
export function planOutput(body: Record<string, unknown>, natural: number): OutputPlan {
  const limit = readLimit(body, 'max_completion_tokens') ?? readLimit(body, 'max_tokens');
  if (limit === null) return { tokens: natural, finishReason: 'stop' };
  if (body.ignore_eos === true || limit < natural) return { tokens: limit, finishReason: 'length' };
  return { tokens: natural, finishReason: 'stop' };
}

function readLimit(body: Record<string, unknown>, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw simErrors.badRequest(`"${field}" must be an integer >= 1.`, field);
  }
  return value;
}
