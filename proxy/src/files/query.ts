import { errors } from '../http/errors.js';

/** `limit` as OpenAI takes it: an integer in [1, max], default when absent. */
export function parseLimit(params: URLSearchParams, fallback: number, max: number): number {
  const raw = params.get('limit');
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw errors.badRequest(`"limit" must be an integer between 1 and ${max}; got "${raw}".`, 'limit', 'invalid_limit');
  }
  return n;
}

export function parseOrder(params: URLSearchParams): 'asc' | 'desc' {
  const raw = params.get('order');
  if (raw === null || raw === '' || raw === 'desc') return 'desc';
  if (raw === 'asc') return 'asc';
  throw errors.badRequest(`"order" must be "asc" or "desc"; got "${raw}".`, 'order', 'invalid_order');
}

/** `after` cursor, checked against the id shape so garbage gets a 400 rather than an empty page. */
export function parseAfter(params: URLSearchParams, isId: (s: string) => boolean): string | undefined {
  const raw = params.get('after');
  if (raw === null || raw === '') return undefined;
  if (!isId(raw)) throw errors.badRequest(`"after" is not a valid id: "${raw}".`, 'after', 'invalid_cursor');
  return raw;
}

/** The OpenAI list envelope. */
export function listBody<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

/** Split `/v1/files/<id>/content` style paths after `prefix` into segments (no empty ones). */
export function pathSegments(pathname: string, prefix: string): string[] {
  return pathname.slice(prefix.length).split('/').filter((s) => s.length > 0).map(safeDecode);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes simply fail the id check later
  }
}
