import type { ChildProcess } from 'node:child_process';

/** Messages a bench child process sends over IPC carry a `type` tag; `error` ones carry a `message`. */
export interface TaggedMessage {
  type: string;
}

/**
 * The child's next message of `type`; rejects on an `error` message, on the child exiting, or after
 * `timeoutMs`. `label` names the child in errors.
 */
export function nextTaggedMessage<M extends TaggedMessage, T extends M['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
  label: string,
): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${label}: no "${type}" in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: M) => {
      if (m.type === 'error') done(new Error(`${label}: ${(m as { message?: string }).message ?? 'error'}`));
      else if (m.type === type) done(undefined, m as Extract<M, { type: T }>);
    };
    const onExit = (code: number | null) => done(new Error(`${label} exited with ${code}`));
    function done(err: Error | undefined, m?: Extract<M, { type: T }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
