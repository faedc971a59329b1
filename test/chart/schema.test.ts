/** values.schema.json refuses bad values before anything reaches the cluster. */
import { describe, expect, it } from '@jest/globals';
import { templateText } from './harness/helm.js';

const refusal = (values: object) => templateText(values).then(
  () => 'accepted',
  (err: unknown) => String(err),
);
const model = { name: 'opt', model: 'facebook/opt-125m' };

describe('values.schema.json', () => {
  it.each([
    ['an unknown top-level key (a typo)', { opertor: { replicas: 2 } }, "additional properties 'opertor' not allowed"],
    ['an unknown operator key', { operator: { replica: 2 } }, "additional properties 'replica' not allowed"],
    ['negative operator replicas', { operator: { replicas: -1 } }, '/operator/replicas'],
    ['a log level the operator lacks', { operator: { logLevel: 'trace' } }, '/operator/logLevel'],
    ['workers beyond the operator range', { operator: { workers: 100 } }, '/operator/workers'],
    ['an image tag given as a number', { operator: { image: { tag: 1.2 } } }, '/operator/image/tag'],
    ['a pull policy Kubernetes lacks', { operator: { image: { pullPolicy: 'Sometimes' } } }, '/operator/image/pullPolicy'],
    ['a secret reference without its key', { operator: { engineApiKeySecretRef: { name: 'k' } } }, "missing property 'key'"],
    ['a watch namespace that is not a DNS label', { operator: { watchNamespace: 'Bad_NS' } }, '/operator/watchNamespace'],
    ['an empty proxy image repository', { proxy: { image: { repository: '' } } }, '/proxy/image/repository'],
    ['a scrape interval without a unit', { metrics: { serviceMonitor: { interval: '30' } } }, '/metrics/serviceMonitor/interval'],
    ['a router name that is not a DNS label', { router: { name: 'My Router' } }, '/router/name'],
    ['a model entry without its model id', { engines: { models: [{ name: 'opt' }] } }, "missing property 'model'"],
    ['a model name that is not a DNS label', { engines: { models: [{ ...model, name: 'OPT_125m' }] } }, '/engines/models/0/name'],
    ['negative model replicas', { engines: { models: [{ ...model, replicas: -1 }] } }, '/engines/models/0/replicas'],
    ['a GPU count that is not a quantity', { engines: { models: [{ ...model, resources: { limits: { 'nvidia.com/gpu': 'one' } } }] } }, 'nvidia.com~1gpu'],
    ['two cache sources at once', { engines: { models: [{ ...model, cache: { emptyDir: {}, hostPath: { path: '/m' } } }] } }, '/engines/models/0/cache'],
    ['a model without a readiness probe', { engines: { models: [{ ...model, readinessProbe: null }] } }, '/engines/models/0/readinessProbe'],
    ['an engine port out of range', { engines: { port: 70000 } }, '/engines/port'],
  ])('refuses %s', async (_what, values, message) => {
    const error = await refusal(values);
    expect(error).toContain("values don't meet the specifications of the schema");
    expect(error).toContain(message);
  });

  it('accepts the defaults and a minimal model entry', async () => {
    expect(await refusal({})).toBe('accepted');
    expect(await refusal({ engines: { models: [model] } })).toBe('accepted');
  });

  it('refuses a sample router in a namespace the operator does not watch', async () => {
    expect(await refusal({ operator: { watchNamespace: 'elsewhere' } })).toContain('which the operator does not watch');
    expect(await refusal({ operator: { watchNamespace: 'elsewhere' }, router: { enabled: false } })).toBe('accepted');
  });

  it('refuses two models with one name (a template check: the schema cannot compare items)', async () => {
    expect(await refusal({ engines: { models: [model, model] } })).toContain('engines.models: the name opt is used twice');
  });
});
