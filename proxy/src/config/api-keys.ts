import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/** Environment variable with client keys, comma-separated (a Kubernetes Secret is usually mounted here). */
export const API_KEYS_ENV = 'VLLM_ROUTER_API_KEYS';
/** Environment variable with the key sent to engines, as the reference router reads it. */
export const BACKEND_API_KEY_ENV = 'VLLM_API_KEY';

/** One key per line; blank lines and `#` comments (whole-line, or after whitespace) are ignored. */
export function parseApiKeysFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
}

export function parseApiKeysList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

export function readApiKeysFile(path: string, flag = '--api-keys-file'): string[] {
  try {
    return parseApiKeysFile(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(flag, path, `cannot be read (${code})`, { cause: err });
  }
}

/** Keys from every source, in order, without duplicates: any source may grant access. */
export function mergeApiKeys(...sources: readonly string[][]): string[] {
  return [...new Set(sources.flat())];
}
