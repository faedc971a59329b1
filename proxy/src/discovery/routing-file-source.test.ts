import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rename, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalizeTable } from '@vllm-router/common/routing-table';
import { followRoutingFile, ROUTING_FILE_COMPONENT } from './routing-file-source.js';
import type { RoutingSource, TableSink } from './routing-source.js';

/** Records what the source asks of the proxy. */
function recordingSink() {
  const applied: unknown[] = [];
  const rejected: string[] = [];
  const failures = new Map<string, string>();
  const sink: TableSink = {
    applyTable: (t) => (applied.push(t), true),
    rejectConfig: (_s, m) => void rejected.push(m),
    setComponentFailure: (c, r) => (r === undefined ? failures.delete(c) : failures.set(c, r)),
  };
  return { sink, applied, rejected, failures };
}

const table = (model: string) =>
  finalizeTable({ source: 'file', routingLogic: 'roundrobin', engines: [{ id: 'e', url: 'http://127.1.0.1:8000', models: [model], backendKind: 'vllm', labels: {}, ready: true }], aliases: {}, modelTypes: {} });

const eventually = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

describe('--routing-file (a mounted copy of the routing ConfigMap)', () => {
  let dir = '';
  let source: RoutingSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the file, follows the kubelet’s ..data symlink swap, and keeps the last table on bad JSON', async () => {
    dir = await mkdtemp(join(tmpdir(), 'routing-file-'));
    // The kubelet's layout: routing.json -> ..data/routing.json, ..data -> ..<timestamp>/
    const version = async (name: string, text: string) => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'routing.json'), text);
      await symlink(name, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    await version('..v1', JSON.stringify(table('m1')));
    await symlink('..data/routing.json', join(dir, 'routing.json'));
    const rec = recordingSink();
    source = await followRoutingFile(rec.sink, join(dir, 'routing.json'), { pollIntervalMs: 50, debounceMs: 10 });
    expect(rec.applied).toEqual([table('m1')]);

    await version('..v2', JSON.stringify(table('m2')));
    await eventually(() => rec.applied.length === 2);
    expect(rec.applied[1]).toEqual(table('m2'));

    await version('..v3', '{ nope');
    await eventually(() => rec.rejected.length === 1);
    expect(rec.failures.size).toBe(0); // bad content is a refused table, not a broken source
  });

  it('makes /health unhealthy while the file is missing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'routing-file-'));
    const rec = recordingSink();
    source = await followRoutingFile(rec.sink, join(dir, 'routing.json'), { pollIntervalMs: 50, debounceMs: 10 });
    expect(rec.failures.get(ROUTING_FILE_COMPONENT)).toMatch(/does not exist/);
    await writeFile(join(dir, 'routing.json'), JSON.stringify(table('m1')));
    await eventually(() => rec.applied.length === 1);
    expect(rec.failures.size).toBe(0);
  });
});
