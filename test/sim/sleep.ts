import { setTimeout as delay } from 'node:timers/promises';

/**
 * Wait until an absolute performance.now() deadline. Deadlines (not relative sleeps) keep a long
 * token stream from drifting by the timer overshoot of every step. Rejects when the signal aborts.
 */
export async function sleepUntil(deadline: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const wait = deadline - performance.now();
  if (wait > 0) await delay(wait, undefined, { signal });
}
