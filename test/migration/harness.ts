import OpenAI from 'openai';
import type { RouterAppSettings } from '@vllm-router/proxy';
import { startEngineSim, type EngineSim, type EngineSimOptions } from '../sim/index.js';
import { capturingLogger } from '../helpers/log-capture.js';
import { startRouter, type RunningRouter, type TableSpec, type TestEngine } from '../helpers/router.js';

/** The simulated engines of a migration test: deterministic output, continuations, 127.0.0.x addresses. */
export const MODEL = 'm1';
const ENGINE_DEFAULTS: EngineSimOptions = { models: [MODEL], outputTokens: 12, tokenDelayMs: 2, continueCompletions: true, fingerprintChunks: true };

export interface Fleet {
  /** Engines in routing-table order: with roundrobin, the first request goes to engines[0]. */
  engines: EngineSim[];
  /** An engine outside the router, same settings: what an uninterrupted answer looks like. */
  reference: EngineSim;
  router: RunningRouter;
  client: OpenAI;
  referenceClient: OpenAI;
  /** Every line the router logged (access lines: `request id=... migrated=...`). */
  log: string[];
  close(): Promise<void>;
}

export interface FleetSpec {
  /** Options per engine (merged over the defaults); ids are e0, e1, ... */
  engines: EngineSimOptions[];
  /** Options for every engine and the reference (merged over ENGINE_DEFAULTS). */
  defaults?: EngineSimOptions;
  router?: Partial<RouterAppSettings>;
  table?: Omit<TableSpec, 'engines'> & { kinds?: Array<TestEngine['backendKind']> };
}

let hostCounter = 0;
/** Distinct loopback hosts per engine (127.0.0.2 ... 127.0.0.60), reused round the circle. */
function nextHost(): string {
  hostCounter = (hostCounter % 59) + 1;
  return `127.0.0.${hostCounter + 1}`;
}

export async function startFleet(spec: FleetSpec): Promise<Fleet> {
  const engines: EngineSim[] = [];
  const defaults = { ...ENGINE_DEFAULTS, ...spec.defaults };
  for (const [i, options] of spec.engines.entries()) engines.push(await startEngineSim({ ...defaults, engineId: `e${i}`, host: nextHost(), ...options }));
  const reference = await startEngineSim({ ...defaults, engineId: 'reference', host: nextHost() });
  const { logger, lines } = capturingLogger();
  const router = await startRouter(
    {
      logger,
      ...spec.table,
      engines: engines.map((e, i) => ({ url: e.url, id: `e${i}`, models: [MODEL], ...(spec.table?.kinds?.[i] ? { backendKind: spec.table.kinds[i] } : {}) })),
    },
    { firstByteTimeoutMs: 400, requestMigrationAttempts: 1, ...spec.router },
  );
  const client = new OpenAI({ baseURL: router.baseURL, apiKey: 'x', maxRetries: 0 });
  const referenceClient = new OpenAI({ baseURL: `${reference.url}/v1`, apiKey: 'x', maxRetries: 0 });
  return {
    engines,
    reference,
    router,
    client,
    referenceClient,
    log: lines,
    close: async () => {
      await router.close();
      await Promise.all([...engines, reference].map((e) => e.close()));
    },
  };
}

/** The access line of the one request to `path` (fails the test when there is not exactly one). */
export function accessLine(f: Fleet, path: string): string {
  const lines = f.log.filter((l) => l.startsWith('request ') && l.includes(` path=${path} `));
  if (lines.length !== 1) throw new Error(`expected one access line for ${path}, got:\n${lines.join('\n')}`);
  return lines[0]!;
}

/** The value of one series in Prometheus text, or 0. */
export async function metricValue(router: RunningRouter, name: string, labels: Record<string, string>): Promise<number> {
  const text = await fetch(`${router.url}/metrics`).then((r) => r.text());
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => labelText.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** A streamed answer as the client saw it, chunk by chunk. */
export interface SeenStream {
  ids: Set<string>;
  created: Set<number>;
  /** Content (chat) or text (completions) per chunk, empty strings included. */
  pieces: string[];
  text: string;
  finishReason: string | null;
  usage: OpenAI.CompletionUsage | undefined;
  /** system_fingerprint per chunk: which engine produced it. */
  fingerprints: string[];
  roles: number;
}

function emptySeen(): SeenStream {
  return { ids: new Set(), created: new Set(), pieces: [], text: '', finishReason: null, usage: undefined, fingerprints: [], roles: 0 };
}

export async function readChatStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<SeenStream> {
  const seen = emptySeen();
  for await (const chunk of stream) {
    seen.ids.add(chunk.id);
    seen.created.add(chunk.created);
    if (chunk.system_fingerprint) seen.fingerprints.push(chunk.system_fingerprint);
    if (chunk.usage) seen.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.role) seen.roles++;
    seen.pieces.push(choice.delta.content ?? '');
    if (choice.finish_reason) seen.finishReason = choice.finish_reason;
  }
  seen.text = seen.pieces.join('');
  return seen;
}

export async function readTextStream(stream: AsyncIterable<OpenAI.Completion>): Promise<SeenStream> {
  const seen = emptySeen();
  for await (const chunk of stream) {
    seen.ids.add(chunk.id);
    seen.created.add(chunk.created);
    if (chunk.system_fingerprint) seen.fingerprints.push(chunk.system_fingerprint);
    if (chunk.usage) seen.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    seen.pieces.push(choice.text);
    if (choice.finish_reason) seen.finishReason = choice.finish_reason;
  }
  seen.text = seen.pieces.join('');
  return seen;
}

/** Raw SSE `data:` payloads of a streamed POST, read to the end (or to the break). */
export async function rawEvents(url: string, body: unknown): Promise<{ events: string[]; broke: boolean }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let text = '';
  let broke = false;
  try {
    text = await response.text();
  } catch {
    broke = true;
  }
  return { events: text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6)), broke };
}

/** Drop the parts of a usage object that differ between engines (cache hits depend on what each engine served before). */
export function countsOf(usage: OpenAI.CompletionUsage | undefined): Pick<OpenAI.CompletionUsage, 'prompt_tokens' | 'completion_tokens' | 'total_tokens'> | undefined {
  return usage && { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens };
}
