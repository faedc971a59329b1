import { ConfigError } from './errors.js';
import type { Setting } from './settings.js';
import { bool, int, list, number, text, type ValueParser } from './value-parsers.js';

/** Overload control (proxy/src/admission): every field is a flag and a dynamic-config setting. */
export interface AdmissionOptions {
  /** Requests in flight from this router to one engine; 0 = unlimited. */
  maxConcurrencyPerEngine: number;
  /** An engine whose scraped waiting queue is above this takes no new request. */
  maxEngineWaiting?: number;
  /** An engine whose scraped KV-cache use (0..1) is above this takes no new request. */
  maxEngineKvUsage?: number;
  /** Requests waiting per model; 0 = none wait (429 at once when no engine has room). */
  queueMaxSize: number;
  queueTimeoutSeconds: number;
  /** Lower-case header name. */
  priorityHeader: string;
  priorityField: string;
  priorityDefault: number;
  /** Lower-case header naming the tenant when no API keys are configured. */
  tenantHeader?: string;
  /** tenant -> weight (> 0); unlisted tenants weigh 1. Null-prototype object. */
  tenantWeights: Record<string, number>;
  /** Per tenant; 0 = no limit. */
  rateLimitRpm: number;
  rateLimitTpm: number;
  /** How long a queued request with session or prefix affinity waits for its engine before it spills. */
  affinityMaxWaitMs: number;
  /** Per static backend (or one for all): the engine runs with --scheduling-policy priority. */
  staticBackendPriorityScheduling: boolean[];
}

export type AdmissionSettingTable = { [K in keyof Required<AdmissionOptions>]: Setting<Required<AdmissionOptions>[K]> };

const MAX_TIMER_MS = 2_147_483_647;
const INT32 = 2 ** 31;
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** An HTTP header name, lower-cased as Node presents incoming headers. */
function headerName(): ValueParser<string> {
  return (raw, name) => {
    const value = text()(raw, name).toLowerCase();
    if (!HEADER_TOKEN.test(value)) throw new ConfigError(name, raw, 'must be an HTTP header name');
    return value;
  };
}

/** `tenant=weight,...` (or a mapping in a config file); weights are positive numbers. */
export function tenantWeights(): ValueParser<Record<string, number>> {
  const weight = number({ min: 0, exclusiveMin: true });
  return (raw, name) => {
    const out: Record<string, number> = Object.create(null) as Record<string, number>;
    const pairs: Array<[string, unknown]> =
      raw !== null && typeof raw === 'object' && !Array.isArray(raw)
        ? Object.entries(raw)
        : list(text())(raw, name).map((entry) => {
            const eq = entry.lastIndexOf('=');
            if (eq <= 0) throw new ConfigError(name, entry, 'must be tenant=weight pairs (e.g. team-a=3,team-b=1)');
            return [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
          });
    for (const [tenant, w] of pairs) {
      if (tenant === '') throw new ConfigError(name, raw, 'has an empty tenant name');
      if (Object.hasOwn(out, tenant)) throw new ConfigError(name, tenant, 'names a tenant twice');
      out[tenant] = weight(w, `${name} ${tenant}`);
    }
    return out;
  };
}

const G = 'Admission control (overload)';
const value = 'value' as const;

export const ADMISSION_SETTINGS: AdmissionSettingTable = {
  maxConcurrencyPerEngine: {
    group: G, flagType: value, default: 0, parse: int(0, 1_000_000),
    describe: 'Requests in flight from this router to one engine; a request that finds no engine with room waits in the router\'s queue for its model. 0 = unlimited.',
  },
  maxEngineWaiting: {
    group: G, flagType: value, parse: int(0, 1_000_000),
    describe: 'An engine whose scraped num_requests_waiting is above this takes no new request while others have room (lower --engine-stats-interval to a second or two).',
  },
  maxEngineKvUsage: {
    group: G, flagType: value, parse: number({ min: 0 }),
    describe: 'An engine whose scraped KV-cache use (0..1) is above this takes no new request while others have room.',
  },
  queueMaxSize: { group: G, flagType: value, default: 1000, parse: int(0, 1_000_000), describe: 'Requests that may wait per model; beyond it the least deserving one gets 429 at once. 0 = none wait.' },
  queueTimeoutSeconds: {
    group: G, flagType: value, default: 30, parse: number({ min: 0, exclusiveMin: true }),
    describe: 'Longest wait in the queue; then 429 (rate_limit_exceeded) with Retry-After.',
  },
  priorityHeader: { group: G, flagType: value, default: 'x-request-priority', parse: headerName(), describe: 'Header carrying the request priority (an integer; lower is more urgent, as in vLLM).' },
  priorityField: { group: G, flagType: value, default: 'priority', parse: text(), describe: 'JSON body field carrying the priority when the header is absent.' },
  priorityDefault: { group: G, flagType: value, default: 0, parse: int(-INT32, INT32 - 1), describe: 'Priority of requests that name none.' },
  tenantHeader: { group: G, flagType: value, parse: headerName(), describe: 'Header naming the tenant for fair shares and rate limits when no API keys are configured (with keys, the key is the tenant).' },
  tenantWeights: {
    group: G, flagType: value, default: {}, parse: tenantWeights(),
    describe: 'Fair-share weights, tenant=weight pairs (API-key tenants are named key-<first 8 hex of the key\'s SHA-256>); unlisted tenants weigh 1.',
  },
  rateLimitRpm: { group: G, flagType: value, default: 0, parse: int(0, 1_000_000_000), describe: 'Requests per minute per tenant; 0 = no limit.' },
  rateLimitTpm: {
    group: G, flagType: value, default: 0, parse: int(0, 1_000_000_000_000),
    describe: 'Tokens per minute per tenant (prompt estimated at admission, settled with the engine\'s usage); 0 = no limit.',
  },
  affinityMaxWaitMs: {
    group: G, flagType: value, default: 200, parse: int(0, MAX_TIMER_MS),
    describe: 'How long a queued request with session or prefix affinity waits for its preferred engine while others have room, before it goes to another.',
  },
  staticBackendPriorityScheduling: {
    group: 'Static backends', flagType: value, default: [], parse: list(bool()),
    describe: 'Per backend (or one value for all): true when the engine runs with --scheduling-policy priority, so the router forwards request priorities to it (otherwise it removes a client\'s priority field).',
  },
};

/** Checks between admission fields. */
export function validateAdmission(o: AdmissionOptions, name: (key: keyof AdmissionOptions) => string): void {
  if (o.maxEngineKvUsage !== undefined && o.maxEngineKvUsage > 1) throw new ConfigError(name('maxEngineKvUsage'), o.maxEngineKvUsage, 'must be a fraction from 0 to 1');
  if (o.queueTimeoutSeconds * 1000 > MAX_TIMER_MS) throw new ConfigError(name('queueTimeoutSeconds'), o.queueTimeoutSeconds, `must be at most ${Math.floor(MAX_TIMER_MS / 1000)}`);
}
