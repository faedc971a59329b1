import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EngineContext } from './engine-context.js';
import { HttpStats, type HttpStatsSnapshot } from './http-stats.js';
import { mergeFailure, resolveOptions, type EngineSimOptions, type FailureInjection } from './options.js';
import { randomInt, seededRandom } from './random.js';
import { createRequestHandler } from './request-handler.js';
import { ChunkedPrefillServingModel } from './chunked-prefill.js';
import { KvTransfer } from './kv-transfer.js';
import { ServingModel, type ServingSnapshot } from './serving-model.js';

/** Everything a test or benchmark can read back from a running sim. */
export type EngineSimStats = HttpStatsSnapshot & ServingSnapshot;

export interface EngineSim {
  /** http://host:port */
  readonly url: string;
  readonly engineId: string;
  readonly models: readonly string[];
  /** A fresh snapshot on every read. */
  readonly stats: EngineSimStats;
  /** The failure injection in force now. */
  readonly failure: FailureInjection;
  /** Change failure injection at runtime; unspecified fields keep their value (resetMidStream: null turns it off). */
  setFailure(patch: Partial<FailureInjection>): void;
  /** Stop listening and destroy open connections (hung and streaming ones too), so tests end fast. */
  close(): Promise<void>;
}

export async function startEngineSim(options: EngineSimOptions = {}): Promise<EngineSim> {
  const o = resolveOptions(options);
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server, o.port, o.host);
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const engineId = o.engineId ?? `${host}:${port}`;

  let failure = o.failure;
  let closing: Promise<void> | null = null;
  let ids = 0;
  const lengthRandom = seededRandom(o.seed);
  const serving = o.pd.maxNumBatchedTokens === null ? new ServingModel(o) : new ChunkedPrefillServingModel(o, o.pd.maxNumBatchedTokens);
  const kv = new KvTransfer({
    engineId,
    host: o.host,
    port,
    blockSize: o.blockSize,
    pd: o.pd,
    cachedPrefixBlocks: (hashes) => serving.pool.cachedPrefixBlocks(hashes),
  });
  const httpStats = new HttpStats();
  const engine: EngineContext = {
    engineId,
    models: o.models,
    serving,
    kv,
    embeddingDimensions: o.embeddingDimensions,
    continueCompletions: o.continueCompletions,
    fingerprintChunks: o.fingerprintChunks,
    schedulingPolicy: o.schedulingPolicy,
    failure: () => failure,
    sampleOutputTokens: () => (o.outputTokensRange ? randomInt(lengthRandom, ...o.outputTokensRange) : o.outputTokens),
    nextId: (prefix) => `${prefix}-${engineId}-${++ids}`,
  };
  server.on(
    'request',
    createRequestHandler({
      engine,
      stats: httpStats,
      metrics: { flavor: o.metricsFlavor, modelName: o.models[0], serving, blockSize: o.blockSize, numGpuBlocks: o.numGpuBlocks },
      errorRandom: seededRandom(o.seed + 1),
      closing: () => closing !== null,
    }),
  );

  return {
    url: `http://${host}:${port}`,
    engineId,
    models: o.models,
    get stats(): EngineSimStats {
      return { ...httpStats.snapshot(), ...serving.snapshot() };
    },
    get failure(): FailureInjection {
      return { ...failure };
    },
    setFailure(patch) {
      failure = mergeFailure(failure, patch);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        kv.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
