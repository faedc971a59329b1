/**
 * The real engines of one test run, shared by every real-engine test file: Jest's global setup
 * prepares the venv and model and starts two vLLM engines; tests read where they are from a state
 * file, and a test that replaces an engine (kills and restarts it, or moves it to a pod's address)
 * records the new process, so the global teardown stops whatever runs at the end.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@vllm-router/common';
import winston from 'winston';
import { RUN_DIR, startEngine, stopEngine, type EngineProcess, type EngineSpec } from './engine-process.js';

/** What prepare.sh built (VLLM_VENV, TINY_MODEL, and LLAMACPP_VENV/TINY_GGUF or LLAMACPP_ERROR). */
export type Prepared = Record<string, string>;

export interface PoolState {
  prepared: Prepared;
  /** Running engines by name. */
  engines: Record<string, EngineProcess>;
  /** Seconds each setup part took (printed by the setup, kept for the report). */
  timings: Record<string, number>;
}

const STATE = join(RUN_DIR, 'pool.json');

/** Never more than this many engines at once: each CPU vLLM takes about 3 GB. */
export const MAX_ENGINES = 2;

export function readPool(): PoolState {
  return JSON.parse(readFileSync(STATE, 'utf8')) as PoolState;
}

export function writePool(state: PoolState): void {
  mkdirSync(RUN_DIR, { recursive: true });
  writeFileSync(STATE, JSON.stringify(state, null, 2));
}

export function engine(name: string): EngineProcess {
  const e = readPool().engines[name];
  if (!e) throw new Error(`no real engine "${name}" is running (engines: ${Object.keys(readPool().engines).join(', ') || 'none'})`);
  return e;
}

/** vLLM on one core, serving the tiny model under `servedNames`. */
export function vllmSpec(name: string, host: string, servedNames: string[], cpu: number, port = 0, extraArgs: string[] = []): EngineSpec {
  const { prepared } = readPool();
  return {
    name,
    kind: 'vllm',
    host,
    port,
    servedNames,
    cpu,
    model: prepared.TINY_MODEL!,
    venv: prepared.VLLM_VENV!,
    cacheDir: join(prepared.VLLM_VENV!, '..', 'vllm-cache'),
    extraArgs,
  };
}

/** Starts an engine under `name`, refusing to go past MAX_ENGINES, and records it. */
export async function addEngine(spec: EngineSpec): Promise<EngineProcess> {
  const running = Object.keys(readPool().engines).length;
  if (running >= MAX_ENGINES) throw new Error(`refusing to start "${spec.name}": ${running} engines already run (at most ${MAX_ENGINES})`);
  const started = await startEngine(spec);
  const state = readPool();
  state.engines[spec.name] = started;
  writePool(state);
  return started;
}

/** Stops the engine named `name` (if it runs) and forgets it. */
export async function removeEngine(name: string): Promise<void> {
  const state = readPool();
  const e = state.engines[name];
  if (e) await stopEngine(e);
  delete state.engines[name];
  writePool(state);
}

/** Forget an engine that is already dead (a test killed it). */
export function forgetEngine(name: string): void {
  const state = readPool();
  delete state.engines[name];
  writePool(state);
}

/** A router logger writing JSON lines to test-results/real-engine/<name>.log, to read after a failure. */
export function routerLog(name: string): Logger {
  mkdirSync(RUN_DIR, { recursive: true });
  return winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.File({ filename: join(RUN_DIR, `router-${name}.log`) })],
  });
}
