/**
 * Jest global setup of the real-engine suites: prepare.sh (venv and model, cached), then the two
 * shared vLLM engines, one core each, on their own loopback addresses, started side by side.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, RUN_DIR, startEngine, stopEngine, type EngineProcess } from './engine-process.js';
import { vllmSpec, writePool, type Prepared } from './pool.js';
import { SHARED_ENGINES } from './shared-engines.js';

function prepare(): Promise<Prepared> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'test/real-engine/prepare.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`test/real-engine/prepare.sh failed (exit ${String(code)}); its messages are above`));
      const prepared: Prepared = {};
      for (const line of out.split('\n')) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line);
        if (m) prepared[m[1]!] = m[2]!;
      }
      resolve(prepared);
    });
  });
}

export default async function globalSetup(): Promise<void> {
  rmSync(RUN_DIR, { recursive: true, force: true });
  const t0 = Date.now();
  const prepared = await prepare();
  const prepareSeconds = Math.round((Date.now() - t0) / 1000);
  writePool({ prepared, engines: {}, timings: { prepare: prepareSeconds } });
  const t1 = Date.now();
  const results = await Promise.allSettled(SHARED_ENGINES.map((e) => startEngine(vllmSpec(e.name, e.host, [...e.servedNames], e.cpu))));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((e) => stopEngine(e)));
    throw failure.reason;
  }
  const engines: Record<string, EngineProcess> = {};
  for (const e of started) engines[e.spec.name] = e;
  const startSeconds = Math.round((Date.now() - t1) / 1000);
  writePool({ prepared, engines, timings: { prepare: prepareSeconds, engines_start: startSeconds } });
  console.log(
    `real-engine: prepared in ${prepareSeconds}s; ${started.length} vLLM engines up in ${startSeconds}s (${started.map((e) => `${e.spec.name} ${e.url} ${Math.round(e.startupMs / 1000)}s`).join(', ')})`,
  );
}
