/** helm lint --strict passes with the default values and with every setting changed. */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { CHART, helm, valuesFile } from './harness/helm.js';
import { fullValues } from './harness/values.js';

const lint = (values: object) => helm(['lint', CHART, '--strict', '--namespace', 'llm', '-f', valuesFile(values)]);

describe('helm lint --strict', () => {
  it('passes with the default values', async () => {
    const result = await lint({});
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('passes with non-default values (HA operator, own images, engines, ServiceMonitor)', async () => {
    const result = await lint(fullValues);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.each(['gpu-values.yaml', 'sim-values.yaml'])('passes with the chart’s example ci/%s', async (file) => {
    const result = await helm(['lint', CHART, '--strict', '-f', join(CHART, 'ci', file)]);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('passes with the sample router and the metrics Service turned off', async () => {
    const result = await lint({ router: { enabled: false }, metrics: { service: { enabled: false } } });
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('fails on values the schema refuses', async () => {
    const result = await lint({ operator: { replicas: 'two' } });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('/operator/replicas');
  });
});
