import { dictionary } from '@vllm-router/common';
import { errors } from '../http/errors.js';
import { BATCH_ENDPOINTS } from './model.js';

export interface BatchCreateParams {
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata: Record<string, string> | null;
}

/** Check a POST /v1/batches body the way OpenAI does, naming the offending parameter. */
export function parseCreateParams(body: unknown, windows: Readonly<Record<string, number>>): BatchCreateParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('The request body must be a JSON object.');
  const { input_file_id, endpoint, completion_window, metadata } = body as Record<string, unknown>;
  if (typeof input_file_id !== 'string' || input_file_id === '') {
    throw errors.badRequest('Missing required parameter: "input_file_id".', 'input_file_id', 'missing_required_parameter');
  }
  if (typeof endpoint !== 'string') throw errors.badRequest('Missing required parameter: "endpoint".', 'endpoint', 'missing_required_parameter');
  if (!BATCH_ENDPOINTS.has(endpoint)) {
    throw errors.badRequest(`Unsupported endpoint "${endpoint}"; expected one of ${[...BATCH_ENDPOINTS].join(', ')}.`, 'endpoint', 'invalid_endpoint');
  }
  if (typeof completion_window !== 'string') {
    throw errors.badRequest('Missing required parameter: "completion_window".', 'completion_window', 'missing_required_parameter');
  }
  if (!Object.hasOwn(windows, completion_window)) {
    throw errors.badRequest(
      `Unsupported completion_window "${completion_window}"; expected one of ${Object.keys(windows).join(', ')}.`,
      'completion_window',
      'invalid_completion_window',
    );
  }
  return { input_file_id, endpoint, completion_window, metadata: parseMetadata(metadata) };
}

/** OpenAI metadata: at most 16 pairs, keys up to 64 characters, string values up to 512. */
function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  const bad = (why: string) => errors.badRequest(`Invalid metadata: ${why}`, 'metadata', 'invalid_metadata');
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('it must be an object of string values.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 16) throw bad('at most 16 keys are allowed.');
  const out = dictionary<string>();
  for (const [key, v] of entries) {
    if (key.length > 64) throw bad(`key "${key.slice(0, 20)}..." is longer than 64 characters.`);
    if (typeof v !== 'string') throw bad(`the value of "${key}" must be a string.`);
    if (v.length > 512) throw bad(`the value of "${key}" is longer than 512 characters.`);
    out[key] = v;
  }
  return out;
}
