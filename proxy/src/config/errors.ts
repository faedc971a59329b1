/**
 * A setting the proxy cannot start (or reload) with. The message names the setting as the user
 * wrote it (`--port`, `static_models`), the value given, and why it was refused.
 */
export class ConfigError extends Error {
  constructor(
    /** `--flag-name`, a dynamic config field, or a file; undefined for whole-input problems. */
    readonly setting: string | undefined,
    readonly value: unknown,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(formatMessage(setting, value, reason), options);
    this.name = 'ConfigError';
  }
}

/** Thrown by the flag parser for `--help`; `text` is what to print before exiting 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

const MAX_SHOWN = 200;

function formatMessage(setting: string | undefined, value: unknown, reason: string): string {
  const shown = value === undefined ? '' : `${show(value)} `;
  return setting ? `${setting}: ${shown}${reason}` : `${shown}${reason}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
