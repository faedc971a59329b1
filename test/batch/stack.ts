import type OpenAI from 'openai';
import { spawnRouter, type RouterProcess } from '../helpers/process.js';
import { startEngineSim, type EngineSim, type EngineSimOptions } from '../sim/index.js';
import { parsePrometheus, sampleValue } from '../sim/prom-parse.js';
import { client } from './helpers.js';

/**
 * The real path for batch tests: engine simulators on 127.0.0.x, and the built `vllm-router`
 * program (proxy/dist/cli.js) with --enable-batch-api on a storage directory, one JSON log line
 * per event so tests can read what it did.
 */

export type SimSpec = EngineSimOptions & { engineId: string; models: string[] };

/** One sim per spec, on 127.0.0.2, .3, ... unless a spec names its host. */
export async function startSims(specs: SimSpec[]): Promise<EngineSim[]> {
  return Promise.all(specs.map((spec, i) => startEngineSim({ host: `127.0.0.${i + 2}`, outputTokens: 8, ...spec })));
}

export const closeSims = async (sims: EngineSim[]): Promise<void> => void (await Promise.all(sims.map((s) => s.close())));

/** Chat requests a sim has received. */
export const chatRequests = (sim: EngineSim): number => sim.stats.requests['/v1/chat/completions'] ?? 0;

export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

export interface BatchRouter {
  url: string;
  openai: OpenAI;
  process: RouterProcess;
  /** The JSON log lines printed so far. */
  logs(): LogLine[];
  /** The value of one sample on GET /metrics. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM (graceful drain) or SIGKILL. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface BatchRouterOptions {
  storage: string;
  /** Appended to the flags (e.g. --batch-concurrency 16, --max-file-bytes 4096). */
  args?: string[];
}

/** Start `vllm-router` routing every model of every sim, with the Files and Batches API on `storage`. */
export async function spawnBatchRouter(sims: EngineSim[], options: BatchRouterOptions): Promise<BatchRouter> {
  const backends = sims.flatMap((s) => s.models.map((model) => ({ url: s.url, model })));
  const proc = await spawnRouter([
    '--service-discovery', 'static',
    '--static-backends', backends.map((b) => b.url).join(','),
    '--static-models', backends.map((b) => b.model).join(','),
    '--routing-logic', 'roundrobin',
    '--enable-batch-api',
    '--file-storage-path', options.storage,
    '--log-format', 'json',
    ...(options.args ?? []),
  ]);
  return {
    url: proc.url,
    openai: client(proc.url),
    process: proc,
    logs: () => parseLogs(proc.output()),
    metric: async (name, labels) => {
      const text = await (await fetch(`${proc.url}/metrics`)).text();
      // Only this family's samples: process metrics may print values (NaN) the strict parser refuses.
      const family = text.split('\n').filter((line) => line.startsWith('#') || line.startsWith(`${name} `) || line.startsWith(`${name}{`));
      return sampleValue(parsePrometheus(family.join('\n')).samples, name, labels);
    },
    stop: (signal) => proc.stop(signal),
  };
}

function parseLogs(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line cut mid-write by SIGKILL
    }
  }
  return lines;
}

/** Log lines with this message about this batch. */
export const batchLogs = (logs: LogLine[], message: string, batchId: string): LogLine[] =>
  logs.filter((l) => l.message === message && l['batch'] === batchId);
