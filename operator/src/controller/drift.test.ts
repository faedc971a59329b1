import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { touchedByOthers } from './drift.js';

const withFields = (...fields: { manager: string; time: string; subresource?: string }[]): V1ConfigMap => ({
  metadata: { managedFields: fields.map((f) => ({ ...f, operation: 'Apply', time: new Date(f.time) })) },
});

describe('touchedByOthers (is an owned object drifting?)', () => {
  it('is false when only the operator wrote it (its own writes echoed by the watch)', () => {
    expect(touchedByOthers(withFields({ manager: 'vllm-router-operator', time: '2026-01-01T00:00:05Z' }))).toBe(false);
  });

  it('is true when another manager wrote it at or after the operator’s last apply', () => {
    expect(touchedByOthers(withFields({ manager: 'vllm-router-operator', time: '2026-01-01T00:00:05Z' }, { manager: 'kubectl-edit', time: '2026-01-01T00:00:09Z' }))).toBe(true);
    expect(touchedByOthers(withFields({ manager: 'vllm-router-operator', time: '2026-01-01T00:00:05Z' }, { manager: 'kubectl-edit', time: '2026-01-01T00:00:05Z' }))).toBe(true);
  });

  it('ignores older writes by others and status writes', () => {
    expect(
      touchedByOthers(
        withFields(
          { manager: 'kubectl-create', time: '2026-01-01T00:00:01Z' },
          { manager: 'vllm-router-operator', time: '2026-01-01T00:00:05Z' },
          { manager: 'kube-controller-manager', time: '2026-01-01T00:00:09Z', subresource: 'status' },
        ),
      ),
    ).toBe(false);
  });

  it('is true for an object the operator never applied', () => {
    expect(touchedByOthers({ metadata: {} })).toBe(true);
  });
});
