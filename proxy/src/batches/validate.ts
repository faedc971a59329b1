import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { JsonTooDeepError, parseJsonWithDepthLimit } from '../http/json-depth.js';
import type { BatchError, BatchRequestLine } from './model.js';

export interface ValidateOptions {
  /** OpenAI's limit is 50,000 requests per batch. */
  maxRequests?: number;
  /** Stop collecting after this many errors (the batch has failed anyway). */
  maxErrors?: number;
}

export type ValidationResult = { ok: true; total: number } | { ok: false; errors: BatchError[] };

export interface RawLine {
  /** 1-based. */
  line: number;
  text: string;
}

/** The non-blank lines of a JSONL stream, numbered as an editor would number them. */
export async function* readLines(input: Readable): AsyncGenerator<RawLine> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() !== '') yield { line, text };
  }
}

/**
 * Whole-file validation, done before any line runs, as OpenAI does: any structural problem fails the
 * batch with `errors`. Problems only a run can reveal (unknown model, engine errors) are per line.
 */
export async function validateInput(lines: AsyncIterable<RawLine>, endpoint: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const maxRequests = options.maxRequests ?? 50_000;
  const maxErrors = options.maxErrors ?? 100;
  const errors: BatchError[] = [];
  const seen = new Set<string>();
  let total = 0;
  for await (const raw of lines) {
    total++;
    if (total > maxRequests) {
      errors.push(err('too_many_tasks', `The batch input file has more than the maximum of ${maxRequests} requests.`, raw.line, null));
      break;
    }
    const parsed = parseRequestLine(raw, endpoint);
    if ('error' in parsed) {
      errors.push(parsed.error);
    } else if (seen.has(parsed.request.custom_id)) {
      errors.push(
        err('duplicate_custom_id', `The custom_id "${parsed.request.custom_id}" is used by an earlier line; each request needs a unique custom_id.`, raw.line, 'custom_id'),
      );
    } else {
      seen.add(parsed.request.custom_id);
    }
    if (errors.length >= maxErrors) break;
  }
  if (errors.length > 0) return { ok: false, errors };
  if (total === 0) return { ok: false, errors: [err('empty_file', 'The batch input file is empty.', null, null)] };
  return { ok: true, total };
}

/** One input line to a request, or the reason it is not one. */
export function parseRequestLine(raw: RawLine, endpoint: string): { request: BatchRequestLine } | { error: BatchError } {
  const { line } = raw;
  let value: unknown;
  try {
    value = parseJsonWithDepthLimit(raw.text);
  } catch (e) {
    if (e instanceof JsonTooDeepError) return { error: err('invalid_json_line', `This line's JSON nests deeper than ${e.maxDepth} levels.`, line, null) };
    return { error: err('invalid_json_line', 'This line is not parseable as valid JSON.', line, null) };
  }
  if (!isObject(value)) return { error: err('invalid_json_line', 'Each line must be a JSON object.', line, null) };
  const { custom_id, method, url, body } = value;
  if (typeof custom_id !== 'string' || custom_id === '') {
    return { error: err('missing_required_parameter', 'Each line needs a non-empty string "custom_id".', line, 'custom_id') };
  }
  if (method === undefined) return { error: err('missing_required_parameter', 'Each line needs "method": "POST".', line, 'method') };
  if (method !== 'POST') return { error: err('invalid_method', `The method must be "POST"; got ${JSON.stringify(method)}.`, line, 'method') };
  if (typeof url !== 'string') return { error: err('missing_required_parameter', `Each line needs "url": "${endpoint}".`, line, 'url') };
  if (url !== endpoint) {
    return { error: err('mismatched_endpoint', `The url "${url}" does not match the batch endpoint "${endpoint}".`, line, 'url') };
  }
  if (!isObject(body)) return { error: err('missing_required_parameter', 'Each line needs a JSON object "body".', line, 'body') };
  if (typeof body['model'] !== 'string' || body['model'] === '') {
    return { error: err('missing_required_parameter', 'The request body must name a "model".', line, 'body.model') };
  }
  return { request: { line, custom_id, method, url, body: body as BatchRequestLine['body'] } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function err(code: string, message: string, line: number | null, param: string | null): BatchError {
  return { code, message, line, param };
}
