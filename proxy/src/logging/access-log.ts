import type { LogFormat } from '../config/options.js';
import type { MigrationNote } from '../http/route.js';
import { infoLineWriter, type Logger } from '@vllm-router/common';

/** One access line: what every request did. */
export interface AccessEntry {
  id: string;
  method: string | undefined;
  path: string;
  model: string | undefined;
  /** The request named no model; the router used the only one it routes. */
  modelDefaulted?: boolean;
  engine: string | undefined;
  /** Disaggregated prefill: the prefill engine (engine is then the decode engine). */
  prefillEngine: string | undefined;
  status: number;
  latencyMs: number;
  streamed: boolean;
  retries: number | undefined;
  error: string | undefined;
  migrations?: readonly MigrationNote[] | undefined;
  notMigrated?: string | undefined;
}

export type AccessLogger = (entry: AccessEntry) => void;

/**
 * Text access lines are formatted here in one string concatenation (winston's printf with metadata
 * costs several times more per request) and written by infoLineWriter (past winston's pipeline for
 * the router's own console logger); nothing is built at all when the level hides info.
 */
export function createAccessLogger(logger: Logger, format: LogFormat): AccessLogger {
  if (format === 'json')
    return (e) => {
      if (!logger.isInfoEnabled()) return;
      logger.info('request', {
        id: e.id,
        method: e.method,
        path: e.path,
        model: e.model,
        ...(e.modelDefaulted ? { model_defaulted: true } : {}),
        engine: e.engine,
        ...(e.prefillEngine ? { prefill_engine: e.prefillEngine } : {}),
        status: e.status,
        latency_ms: e.latencyMs,
        streamed: e.streamed,
        ...(e.retries ? { retries: e.retries } : {}),
        ...(e.error ? { error: e.error } : {}),
        ...(e.migrations?.length ? { migrated: e.migrations } : {}),
        ...(e.notMigrated ? { not_migrated: e.notMigrated } : {}),
      });
    };
  const writeLine = infoLineWriter(logger);
  return (e) => {
    if (!logger.isInfoEnabled()) return;
    let line = `request id=${e.id} method=${e.method} path=${e.path}`;
    if (e.model !== undefined) line += ` model=${e.model}`;
    if (e.modelDefaulted) line += ' model_defaulted=true';
    if (e.prefillEngine !== undefined) line += ` prefill=${e.prefillEngine}`;
    if (e.engine !== undefined) line += ` engine=${e.engine}`;
    line += ` status=${e.status} latency_ms=${e.latencyMs} streamed=${e.streamed}`;
    if (e.retries) line += ` retries=${e.retries}`;
    if (e.error) line += ` error=${e.error}`;
    if (e.migrations?.length) line += ` migrated=${e.migrations.map((m) => `${m.from}->${m.to}(${m.reason})`).join(',')}`;
    if (e.notMigrated) line += ` not_migrated=${e.notMigrated}`;
    writeLine(line);
  };
}
