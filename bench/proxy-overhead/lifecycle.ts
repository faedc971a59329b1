import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Children } from './children.js';

export const log = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Runs `body` with a process registry and a temp dir, and makes sure every child is stopped and the
 * dir removed: on success, on error, on SIGINT/SIGTERM/SIGHUP, after `budgetSeconds`, and (SIGKILL,
 * synchronously) when this process exits any other way. Exits the process when done.
 */
export function runWithChildren(name: string, budgetSeconds: number, body: (children: Children, tmp: string) => Promise<void>): void {
  const children = new Children();
  const tmp = mkdtempSync(join(tmpdir(), `${name}-`));
  let cleaning: Promise<void> | undefined;
  let interrupted = false;
  const cleanup = () => (cleaning ??= children.stopAll(10_000).finally(() => rmSync(tmp, { recursive: true, force: true })));
  const quit = (code: number) => void cleanup().finally(() => process.exit(code));
  process.on('exit', () => children.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      log(`\n${name}: ${signal}, stopping every child process`);
      interrupted = true;
      quit(130);
    });
  setTimeout(() => {
    log(`${name}: run exceeded its ${Math.round(budgetSeconds)} s budget; stopping`);
    quit(3);
  }, budgetSeconds * 1000).unref();
  body(children, tmp).then(
    () => quit(0),
    (err: unknown) => {
      if (interrupted) return; // a child was killed under the running step; not a failure of its own
      log(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      quit(1);
    },
  );
}
