/** Jest global teardown of the real-engine suites: stop every engine still running. */
import { stopEngine } from './engine-process.js';
import { readPool, writePool } from './pool.js';

export default async function globalTeardown(): Promise<void> {
  let state;
  try {
    state = readPool();
  } catch {
    return; // setup failed before any engine started
  }
  await Promise.all(Object.values(state.engines).map((e) => stopEngine(e)));
  writePool({ ...state, engines: {} });
}
