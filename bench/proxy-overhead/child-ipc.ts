import type { ChildProcess } from 'node:child_process';

/** Messages from the benchmark's own child programs to the orchestrator. */
export type ChildMessage = { type: 'ready'; port: number } | { type: 'result'; result: unknown } | { type: 'error'; message: string };

/** In a child: exit as soon as the orchestrator goes away (or on SIGTERM, so --cpu-prof gets written). */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** Sends a message to the orchestrator; `then` runs once it has been handed to the channel. */
export function sendToParent(message: ChildMessage, then?: () => void): void {
  if (!process.send) return then?.();
  process.send(message, undefined, {}, () => then?.());
}

function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** In the orchestrator: the child's next message, or an error if it exits or takes too long. */
export function nextMessage(child: ChildProcess, timeoutMs: number, what: string, stderr: () => string = () => ''): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no answer after ${timeoutMs} ms\n${stderr()}`)), timeoutMs);
    const onMessage = (m: unknown) => {
      if (isChildMessage(m)) done(undefined, m);
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`${what} exited (code ${code}, signal ${signal})\n${stderr()}`));
    function done(err: Error | undefined, m?: ChildMessage): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else if (m?.type === 'error') reject(new Error(`${what}: ${m.message}`));
      else resolve(m!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
