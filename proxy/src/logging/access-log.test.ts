import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createAccessLogger, type AccessEntry } from './access-log.js';

function capture(format: 'text' | 'json') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString().trim());
      done();
    },
  });
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { log: createAccessLogger(logger, format), lines };
}

const entry: AccessEntry = {
  id: 'r1', method: 'POST', path: '/v1/chat/completions', model: 'm', engine: 'http://127.0.0.3:8000', prefillEngine: 'http://127.0.0.2:8000',
  status: 200, latencyMs: 12.5, streamed: true, retries: undefined, error: undefined,
};

describe('access line', () => {
  it('names the prefill engine before the (decode) engine of a disaggregated request', () => {
    const { log, lines } = capture('text');
    log(entry);
    log({ ...entry, prefillEngine: undefined });
    expect(JSON.parse(lines[0]!).message).toBe('request id=r1 method=POST path=/v1/chat/completions model=m prefill=http://127.0.0.2:8000 engine=http://127.0.0.3:8000 status=200 latency_ms=12.5 streamed=true');
    expect(JSON.parse(lines[1]!).message).not.toContain('prefill=');
  });

  it('has a prefill_engine field in JSON lines when there is one', () => {
    const { log, lines } = capture('json');
    log(entry);
    log({ ...entry, prefillEngine: undefined });
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'request', engine: 'http://127.0.0.3:8000', prefill_engine: 'http://127.0.0.2:8000' });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('prefill_engine');
  });
});
