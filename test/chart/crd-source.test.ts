/**
 * One CRD, never two drifting copies: the chart's crds/ is a symlink to the repository's crds/,
 * and `helm package` resolves it, so the packaged chart carries the same bytes.
 */
import { describe, expect, it } from '@jest/globals';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART, REPO, helm, run } from './harness/helm.js';

const CRD_FILE = 'vllmrouters.router.vllm.ai.yaml';
const crdBytes = () => readFileSync(join(REPO, 'crds', CRD_FILE), 'utf8');

describe('the chart CRD', () => {
  it('is the repository crds/ directory itself, through a symlink', () => {
    expect(lstatSync(join(CHART, 'crds')).isSymbolicLink()).toBe(true);
    expect(realpathSync(join(CHART, 'crds'))).toBe(realpathSync(join(REPO, 'crds')));
  });

  it('is what helm show crds prints', async () => {
    const shown = await helm(['show', 'crds', CHART]);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim()).toBe(crdBytes().trim());
  });

  it('is copied byte for byte into the package helm package makes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'chart-package-'));
    const packaged = await helm(['package', CHART, '--destination', out]);
    expect(packaged.code).toBe(0);
    const archive = readdirSync(out).find((f) => f.endsWith('.tgz'));
    expect(archive).toBe('vllm-router-0.1.0.tgz');
    const extracted = await run('tar', ['-xzf', join(out, archive ?? ''), '-C', out]);
    expect(extracted.code).toBe(0);
    expect(lstatSync(join(out, 'vllm-router', 'crds', CRD_FILE)).isFile()).toBe(true);
    expect(readFileSync(join(out, 'vllm-router', 'crds', CRD_FILE), 'utf8')).toBe(crdBytes());
  });
});
