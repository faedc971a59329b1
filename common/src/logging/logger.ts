import winston from 'winston';

export type Logger = winston.Logger;
export type LogFormat = 'text' | 'json';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One logger per process; `text` for people, `json` for log pipelines. */
export function createLogger(level: LogLevel, format: LogFormat, service = 'vllm-router'): Logger {
  const text = winston.format.printf(({ timestamp, level: lvl, message, ...meta }) => {
    const rest = Object.entries(meta)
      .filter(([k, v]) => k !== 'service' && v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${String(timestamp)} ${lvl.toUpperCase().padEnd(5)} ${String(message)}${rest ? ` ${rest}` : ''}`;
  });
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(winston.format.timestamp(), format === 'json' ? winston.format.json() : text),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** A logger that drops everything, for tests and embedding. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
