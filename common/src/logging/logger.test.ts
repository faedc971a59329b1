import { afterEach, describe, expect, it, jest } from '@jest/globals';
import winston from 'winston';
import { createLogger, infoLineWriter } from './logger.js';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

/**
 * What reaches stdout while `run` runs, one string per write. Winston's console transport writes to
 * `console._stdout` when there is one (under Jest's workers it is not process.stdout; in a plain
 * Node process it is), so both are captured.
 */
async function stdoutOf(run: () => void): Promise<string[]> {
  const writes: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  };
  const consoleStdout = (console as unknown as { _stdout?: NodeJS.WriteStream })._stdout;
  const spies = [process.stdout, ...(consoleStdout && consoleStdout !== process.stdout ? [consoleStdout] : [])].map((stream) => jest.spyOn(stream, 'write').mockImplementation(capture));
  try {
    run();
    await new Promise((r) => setImmediate(r));
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return writes;
}

describe('infoLineWriter', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('writes the line a text logger would print, past winston', async () => {
    const logger = createLogger('info', 'text');
    const line = 'request id=1 method=POST path=/v1/completions status=200';
    const viaWinston = await stdoutOf(() => logger.info(line));
    const direct = await stdoutOf(() => infoLineWriter(logger)(line));
    expect(direct).toHaveLength(1);
    expect(direct[0]).toMatch(TIMESTAMP);
    expect(direct.map((w) => w.replace(TIMESTAMP, ''))).toEqual(viaWinston.map((w) => w.replace(TIMESTAMP, '')));
  });

  it('honours the level and silence at each call', async () => {
    const logger = createLogger('warn', 'text');
    const write = infoLineWriter(logger);
    expect(await stdoutOf(() => write('hidden'))).toEqual([]);
    logger.level = 'info';
    expect(await stdoutOf(() => write('shown'))).toHaveLength(1);
    logger.silent = true;
    expect(await stdoutOf(() => write('silenced'))).toEqual([]);
  });

  it('hands any other logger the line through logger.info (JSON logs, tests\' and embedders\' loggers)', () => {
    for (const logger of [createLogger('info', 'json'), winston.createLogger({ silent: true })]) {
      const lines: unknown[] = [];
      jest.spyOn(logger, 'info').mockImplementation(((message: unknown) => {
        lines.push(message);
        return logger;
      }) as winston.LeveledLogMethod);
      infoLineWriter(logger)('a line');
      expect(lines).toEqual(['a line']);
    }
  });
});
