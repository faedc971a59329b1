import { dictionary } from '@vllm-router/common';
import { errors } from '../http/errors.js';
import { BATCH_ENDPOINTS } from './model.js';

export interface BatchCreateParams {
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  /** How long the batch may run, from completion_window. */
  windowMs: number;
  metadata: Record<string, string> | null;
}

/** OpenAI's only window, used when the request gives none (the reference defaults to "5s", which it never enforces). */
export const DEFAULT_WINDOW = '24h';
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_WINDOW_MS = 30 * 86_400_000;

/** A configured window, or (as the reference accepts any string) a duration such as "1h" or "90m" up to 30 days. */
function windowMsOf(window: string, windows: Readonly<Record<string, number>>): number | undefined {
  if (Object.hasOwn(windows, window)) return windows[window];
  const m = /^([1-9]\d{0,6})([smhd])$/.exec(window);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
  return ms !== undefined && ms <= MAX_WINDOW_MS ? ms : undefined;
}

/** Check a POST /v1/batches body the way OpenAI does, naming the offending parameter; as lenient as the reference where it is. */
export function parseCreateParams(body: unknown, windows: Readonly<Record<string, number>>): BatchCreateParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('The request body must be a JSON object.');
  const { input_file_id, endpoint, completion_window = DEFAULT_WINDOW, metadata } = body as Record<string, unknown>;
  if (typeof input_file_id !== 'string' || input_file_id === '') {
    throw errors.badRequest('Missing required parameter: "input_file_id".', 'input_file_id', 'missing_required_parameter');
  }
  if (typeof endpoint !== 'string') throw errors.badRequest('Missing required parameter: "endpoint".', 'endpoint', 'missing_required_parameter');
  if (!BATCH_ENDPOINTS.has(endpoint)) {
    throw errors.badRequest(`Unsupported endpoint "${endpoint}"; expected one of ${[...BATCH_ENDPOINTS].join(', ')}.`, 'endpoint', 'invalid_endpoint');
  }
  const windowMs = typeof completion_window === 'string' ? windowMsOf(completion_window, windows) : undefined;
  if (typeof completion_window !== 'string' || windowMs === undefined) {
    throw errors.badRequest(
      `Unsupported completion_window ${JSON.stringify(completion_window)}; expected ${Object.keys(windows).join(', ')} or a duration such as 1h (s, m, h or d, up to 30d).`,
      'completion_window',
      'invalid_completion_window',
    );
  }
  return { input_file_id, endpoint, completion_window, windowMs, metadata: parseMetadata(metadata) };
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
