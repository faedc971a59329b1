import { describe, expect, it } from '@jest/globals';
import { buildStaticTable } from './static-table.js';
import { ConfigError } from './errors.js';
import { parseProxyArgs } from './flags.js';
import { parseDynamicConfig } from './dynamic-config.js';

const STATIC = ['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--static-backends', 'http://a:8000,http://b:8000', '--static-models', 'm1,m2'];
const parse = (...extra: string[]) => parseProxyArgs([...STATIC, ...extra], {});

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('admission flags', () => {
  it('default to no limits, so a deployment that sets none behaves as before', () => {
    expect(parse()).toMatchObject({
      maxConcurrencyPerEngine: 0,
      queueMaxSize: 1000,
      queueTimeoutSeconds: 30,
      priorityHeader: 'x-request-priority',
      priorityField: 'priority',
      priorityDefault: 0,
      tenantWeights: {},
      rateLimitRpm: 0,
      rateLimitTpm: 0,
      affinityMaxWaitMs: 200,
      staticBackendPriorityScheduling: [],
    });
    const o = parse();
    expect(o.maxEngineWaiting).toBeUndefined();
    expect(o.maxEngineKvUsage).toBeUndefined();
    expect(o.tenantHeader).toBeUndefined();
  });

  it('parse every setting', () => {
    const o = parse(
      '--max-concurrency-per-engine', '8', '--max-engine-waiting', '4', '--max-engine-kv-usage', '0.9',
      '--queue-max-size', '50', '--queue-timeout-seconds', '2.5',
      '--priority-header', 'X-Prio', '--priority-field', 'prio', '--priority-default', '-3',
      '--tenant-header', 'X-Tenant-Id', '--tenant-weights', 'team-a=3,team-b=0.5',
      '--rate-limit-rpm', '600', '--rate-limit-tpm', '100000', '--affinity-max-wait-ms', '0',
      '--static-backend-priority-scheduling', 'true,false',
    );
    expect(o).toMatchObject({
      maxConcurrencyPerEngine: 8, maxEngineWaiting: 4, maxEngineKvUsage: 0.9, queueMaxSize: 50, queueTimeoutSeconds: 2.5,
      priorityHeader: 'x-prio', priorityField: 'prio', priorityDefault: -3, tenantHeader: 'x-tenant-id',
      tenantWeights: { 'team-a': 3, 'team-b': 0.5 }, rateLimitRpm: 600, rateLimitTpm: 100_000, affinityMaxWaitMs: 0,
      staticBackendPriorityScheduling: [true, false],
    });
    expect(Object.getPrototypeOf(o.tenantWeights)).toBeNull();
    expect(buildStaticTable(o).engines.map((e) => e.priorityScheduling ?? false)).toEqual([true, false]);
    expect(buildStaticTable(parse('--static-backend-priority-scheduling', 'true')).engines.every((e) => e.priorityScheduling)).toBe(true);
    expect(buildStaticTable(parse()).engines.every((e) => !('priorityScheduling' in e))).toBe(true);
  });

  it('refuse bad values naming the flag', () => {
    expect(problem(() => parse('--max-concurrency-per-engine', '-1'))).toMatch(/^--max-concurrency-per-engine: "-1" must be an integer/);
    expect(problem(() => parse('--max-engine-kv-usage', '1.5'))).toMatch(/^--max-engine-kv-usage: 1.5 must be a fraction from 0 to 1/);
    expect(problem(() => parse('--queue-timeout-seconds', '0'))).toMatch(/^--queue-timeout-seconds: "0" must be a number greater than 0/);
    expect(problem(() => parse('--tenant-weights', 'team-a'))).toMatch(/must be tenant=weight pairs/);
    expect(problem(() => parse('--tenant-weights', 'a=0'))).toMatch(/must be a number greater than 0/);
    expect(problem(() => parse('--tenant-weights', 'a=1,a=2'))).toMatch(/names a tenant twice/);
    expect(problem(() => parse('--priority-header', 'not a header'))).toMatch(/must be an HTTP header name/);
    expect(problem(() => parse('--static-backend-priority-scheduling', 'true,false,true'))).toMatch(/has 3 entries but --static-backends has 2/);
  });

  it('read from a dynamic config file by their snake_case names, weights as a mapping too', () => {
    const dyn = parseDynamicConfig('{"max_concurrency_per_engine": 4, "tenant_weights": {"gold": 2, "__proto__": 5}, "rate_limit_rpm": 60}', 'json');
    expect(dyn.ignoredFields).toEqual([]);
    expect(dyn.settings.maxConcurrencyPerEngine).toBe(4);
    expect(dyn.settings.rateLimitRpm).toBe(60);
    expect(Object.entries(dyn.settings.tenantWeights ?? {})).toEqual([['gold', 2], ['__proto__', 5]]);
  });
});
