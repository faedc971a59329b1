/**
 * The "proxy" the restart tests kill and start again: files + batches on shared storage, forwarding
 * to engines given in VR_BATCH_CONFIG. Prints `{"msg":"ready","url":...}` then JSON log lines.
 */
import { jsonLineLogger, startStack, type EngineRef } from './harness.js';

interface ChildConfig {
  root: string;
  engines: EngineRef[];
  concurrency?: number;
  leaseTtlMs?: number;
}

const config = JSON.parse(process.env['VR_BATCH_CONFIG'] ?? '{}') as ChildConfig;
const logger = jsonLineLogger((line) => process.stdout.write(line));
const stack = await startStack({
  root: config.root,
  engines: config.engines,
  service: { logger, concurrency: config.concurrency ?? 8, leaseTtlMs: config.leaseTtlMs ?? 1_000 },
});
logger.info('ready', { url: stack.url, owner: stack.service.owner, pid: process.pid });

process.on('SIGTERM', () => {
  void stack.close().then(() => process.exit(0));
});
