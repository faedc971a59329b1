import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '@vllm-router/common';

/** A logger that keeps every line (as the text format prints its message) for tests to read. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { message: unknown }, _encoding, done) {
      lines.push(String(info.message));
      done();
    },
  });
  return { logger: winston.createLogger({ level: 'info', transports: [new winston.transports.Stream({ stream })] }), lines };
}
