import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errors } from '../http/errors.js';
import { promptTextOf } from '../routing/prefix/prompt-text.js';

/** vLLM takes any integer; the router keeps priorities within 32 bits. */
const PRIORITY_MIN = -(2 ** 31);
const PRIORITY_MAX = 2 ** 31 - 1;
const MAX_TENANT_CHARS = 128;
/** Characters per token when the prompt is estimated before the engine counts it (as prefix-aware routing assumes). */
export const CHARS_PER_TOKEN = 4;

export interface PrioritySettings {
  /** Lower-case header name. */
  header: string;
  /** JSON body field. */
  field: string;
  default: number;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The request's priority: the header, else the body field, else the default. Lower is more urgent,
 * as in vLLM. A value that is not an integer is the client's mistake: 400, naming where it was.
 */
export function priorityOf(headers: IncomingHttpHeaders, json: Record<string, unknown> | undefined, settings: PrioritySettings): number {
  const fromHeader = header(headers, settings.header);
  if (fromHeader !== undefined && fromHeader.trim() !== '') {
    const text = fromHeader.trim();
    const n = /^[+-]?\d{1,10}$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(n) || n < PRIORITY_MIN || n > PRIORITY_MAX) throw invalidPriority(settings.header, fromHeader);
    return n;
  }
  const fromBody = json && Object.hasOwn(json, settings.field) ? json[settings.field] : undefined;
  if (fromBody === undefined || fromBody === null) return settings.default;
  if (typeof fromBody !== 'number' || !Number.isInteger(fromBody) || fromBody < PRIORITY_MIN || fromBody > PRIORITY_MAX)
    throw invalidPriority(settings.field, fromBody);
  return fromBody;
}

function invalidPriority(where: string, value: unknown) {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : JSON.stringify(value)?.slice(0, 40);
  return errors.badRequest(`The request priority must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX} (lower is more urgent); got ${shown} in ${where}.`, where, 'invalid_priority');
}

/** The name a configured API key goes by in metrics, /stats and --tenant-weights: never the key itself. */
export function keyTenantId(key: string): string {
  return `key-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8)}`;
}

export const DEFAULT_TENANT = 'default';

/**
 * Who a request belongs to, for fair shares and rate limits: its API key when keys are configured
 * (auth has checked it), else the --tenant-header value, else one shared tenant.
 */
export class TenantResolver {
  private readonly keyIds: Map<string, string>;

  constructor(
    apiKeys: readonly string[],
    private readonly tenantHeader: string | undefined,
  ) {
    this.keyIds = new Map(apiKeys.filter((k) => k !== '').map((k) => [k, keyTenantId(k)]));
  }

  /** True when requests can belong to different tenants. */
  get distinguishes(): boolean {
    return this.keyIds.size > 0 || this.tenantHeader !== undefined;
  }

  tenantOf(headers: IncomingHttpHeaders): string {
    if (this.keyIds.size > 0) {
      const m = /^Bearer\s+(.+)$/i.exec(headers.authorization?.trim() ?? '');
      const id = m ? this.keyIds.get(m[1]!) : undefined;
      if (id) return id;
    }
    if (this.tenantHeader === undefined) return DEFAULT_TENANT;
    const value = header(headers, this.tenantHeader)?.trim();
    if (!value) return DEFAULT_TENANT;
    if (value.length > MAX_TENANT_CHARS)
      throw errors.badRequest(`The ${this.tenantHeader} header must be at most ${MAX_TENANT_CHARS} characters.`, this.tenantHeader, 'invalid_tenant');
    return value;
  }
}

/**
 * Prompt tokens as the rate limiter charges them before the engine reports usage. A multipart body
 * (audio, images) has no text prompt to count: it is charged 1 and settled by the engine's usage.
 */
export function estimatePromptTokens(json: Record<string, unknown> | undefined, bodyBytes: number): number {
  if (!json) return 1;
  const text = promptTextOf({ model: '', path: '', headers: {}, body: json }, bodyBytes + 1);
  return text === undefined ? 1 : Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}
