import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigFileEvent } from './config-file-watcher.js';
import type { DynamicConfig } from './dynamic-config.js';
import { DynamicConfigWatcher, type DynamicConfigWatcherOptions } from './dynamic-config-watcher.js';
import { parseProxyArgs } from './flags.js';

/** Fast polling so tests run in milliseconds; tests that must prove fs.watch alone poll rarely. */
const FAST = { pollIntervalMs: 25, debounceMs: 10 };
const NO_POLL = { pollIntervalMs: 60_000, debounceMs: 10 };

const cfg = (logic: string) => JSON.stringify({ routing_logic: logic });
const logicOf = (e: ConfigFileEvent<DynamicConfig> | undefined) => (e?.ok ? e.config.settings.routingLogic : undefined);

let dir: string;
let watchers: DynamicConfigWatcher[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dyncfg-'));
  watchers = [];
});

afterEach(async () => {
  await Promise.all(watchers.map((w) => w.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function follow(path: string, options: DynamicConfigWatcherOptions = FAST) {
  const watcher = new DynamicConfigWatcher(path, 'json', options);
  watchers.push(watcher);
  const events: ConfigFileEvent<DynamicConfig>[] = [];
  watcher.on('update', (e) => events.push(e));
  return { watcher, events, last: () => events.at(-1) };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('DynamicConfigWatcher', () => {
  it('reports the config present at start', async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, cfg('session'));
    const { watcher, events } = follow(path);
    await watcher.start();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ok: true, text: cfg('session') });
    expect(watcher.lastGood?.settings.routingLogic).toBe('session');
  });

  it('reports a missing file, keeps watching, and picks the file up when it appears', async () => {
    const path = join(dir, 'config.json');
    const { watcher, events, last } = follow(path);
    await watcher.start();
    expect(events[0]).toMatchObject({ ok: false });
    expect(!events[0].ok && events[0].error.message).toMatch(/config\.json does not exist/);
    writeFileSync(path, cfg('leastload'));
    await until(() => logicOf(last()) === 'leastload', 'the new file');
  });

  it('reports an invalid write, keeps the last good config, and reports the next valid write', async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, cfg('roundrobin'));
    const { watcher, last } = follow(path);
    await watcher.start();
    writeFileSync(path, '{"routing_logic": "random"}');
    await until(() => last()?.ok === false, 'the error');
    const bad = last();
    expect(!bad?.ok && bad?.error.message).toMatch(/^routing_logic: "random" must be one of/);
    expect(watcher.lastGood?.settings.routingLogic).toBe('roundrobin');
    writeFileSync(path, cfg('prefixaware'));
    await until(() => logicOf(last()) === 'prefixaware', 'the next valid write');
  });

  it('follows a file deleted and created again', async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, cfg('roundrobin'));
    const { watcher, last } = follow(path);
    await watcher.start();
    unlinkSync(path);
    await until(() => last()?.ok === false, 'the deletion');
    writeFileSync(path, cfg('kvaware'));
    await until(() => logicOf(last()) === 'kvaware', 'the recreated file');
  });

  it('ends on the last of many rapid writes', async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, cfg('roundrobin'));
    const { watcher, events, last } = follow(path);
    await watcher.start();
    const logics = ['session', 'leastload', 'prefixaware', 'kvaware', 'roundrobin', 'disaggregated_prefill'];
    for (const logic of logics) writeFileSync(path, JSON.stringify({ routing_logic: logic, session_key: 'k' }));
    await until(() => logicOf(last()) === 'disaggregated_prefill', 'the last write');
    const settled = events.length;
    await sleep(100);
    expect(events.length).toBe(settled);
    expect(watcher.lastGood?.settings.routingLogic).toBe('disaggregated_prefill');
  });

  it("sees an editor's rename-over through the directory watch alone", async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, cfg('roundrobin'));
    const { watcher, last } = follow(path, NO_POLL);
    await watcher.start();
    writeFileSync(join(dir, '.config.json.swp'), cfg('leastload'));
    renameSync(join(dir, '.config.json.swp'), path);
    await until(() => logicOf(last()) === 'leastload', 'the renamed file');
  });

  it("follows the kubelet's ..data symlink swap through the directory watch alone", async () => {
    mkdirSync(join(dir, '..data_1'));
    writeFileSync(join(dir, '..data_1', 'config.json'), cfg('roundrobin'));
    symlinkSync('..data_1', join(dir, '..data'));
    symlinkSync(join('..data', 'config.json'), join(dir, 'config.json'));
    const { watcher, last } = follow(join(dir, 'config.json'), NO_POLL);
    await watcher.start();
    expect(logicOf(last())).toBe('roundrobin');

    mkdirSync(join(dir, '..data_2'));
    writeFileSync(join(dir, '..data_2', 'config.json'), cfg('leastload'));
    symlinkSync('..data_2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..data_1'), { recursive: true });
    await until(() => logicOf(last()) === 'leastload', 'the swapped config');
  });

  it('catches by polling what the directory watch cannot see (a symlink into another directory)', async () => {
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'mounted'));
    writeFileSync(join(dir, 'real', 'config.json'), cfg('roundrobin'));
    symlinkSync(join(dir, 'real', 'config.json'), join(dir, 'mounted', 'config.json'));
    const { watcher, last } = follow(join(dir, 'mounted', 'config.json'));
    await watcher.start();
    writeFileSync(join(dir, 'real', 'config.json'), cfg('session'));
    await until(() => logicOf(last()) === 'session', 'the polled change');
  });

  it('reports a file that parses but cannot be applied to the flags', async () => {
    const base = parseProxyArgs(
      ['--service-discovery', 'static', '--routing-logic', 'roundrobin', '--static-backends', 'http://a:8000,http://b:8000', '--dynamic-config-json', 'x'],
      {},
    );
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ static_models: 'm1' }));
    const { watcher, last } = follow(path, { ...FAST, base });
    await watcher.start();
    const event = last();
    expect(!event?.ok && event?.error.message).toMatch(/^static_models: "m1" has 1 entry but static_backends has 2/);
  });

  it('stops reporting after stop()', async () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, cfg('roundrobin'));
    const { watcher, events } = follow(path);
    await watcher.start();
    await watcher.stop();
    writeFileSync(path, cfg('session'));
    await sleep(100);
    expect(events).toHaveLength(1);
  });
});
