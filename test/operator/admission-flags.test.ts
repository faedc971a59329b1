/**
 * The operator's spec.admission -> flags mapping against the proxy's own flag parser: every flag it
 * writes parses to the value the spec gave, and every admission flag of the proxy (but the static
 * backends' per-engine one, which the routing table carries instead) can be set from the CRD.
 */
import { describe, expect, it } from '@jest/globals';
import type { AdmissionSpec } from '../../operator/src/api/types.js';
import { admissionArgs } from '../../operator/src/reconcile/proxy-objects.js';
import { ADMISSION_SETTINGS } from '../../proxy/src/config/admission-settings.js';
import { parseProxyArgs } from '../../proxy/src/config/flags.js';
import { kebabCase } from '../../proxy/src/config/settings.js';

const FULL: Required<AdmissionSpec> = {
  maxConcurrencyPerEngine: 6,
  maxEngineWaiting: 3,
  maxEngineKvUsage: 0.85,
  queueMaxSize: 64,
  queueTimeoutSeconds: 2.5,
  priority: { header: 'X-Prio', field: 'prio', default: -2 },
  tenantHeader: 'X-Team',
  tenantWeights: { gold: 4, 'key-0a1b2c3d': 0.5 },
  rateLimit: { rpm: 120, tpm: 50_000 },
  affinityMaxWaitMs: 75,
};

describe('spec.admission as proxy flags', () => {
  it('parses back, through the proxy\'s flag parser, to what the spec said', () => {
    const options = parseProxyArgs(['--service-discovery', 'configmap', '--routing-file', '/etc/routing.json', '--routing-logic', 'roundrobin', ...admissionArgs(FULL)], {});
    expect(options).toMatchObject({
      maxConcurrencyPerEngine: 6,
      maxEngineWaiting: 3,
      maxEngineKvUsage: 0.85,
      queueMaxSize: 64,
      queueTimeoutSeconds: 2.5,
      priorityHeader: 'x-prio',
      priorityField: 'prio',
      priorityDefault: -2,
      tenantHeader: 'x-team',
      tenantWeights: { gold: 4, 'key-0a1b2c3d': 0.5 },
      rateLimitRpm: 120,
      rateLimitTpm: 50_000,
      affinityMaxWaitMs: 75,
    });
  });

  it('covers every admission flag of the proxy', () => {
    const written = new Set(admissionArgs(FULL).filter((a) => a.startsWith('--')));
    const proxyFlags = Object.keys(ADMISSION_SETTINGS).filter((k) => k !== 'staticBackendPriorityScheduling').map((k) => `--${kebabCase(k)}`);
    expect([...written].sort()).toEqual(proxyFlags.sort());
    expect(admissionArgs({})).toEqual([]);
  });
});
