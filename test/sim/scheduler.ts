/** vLLM's max_num_seqs: at most maxNumSeqs requests run; the rest wait in arrival (FIFO) order. */
export class FifoScheduler {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private longestQueue = 0;

  constructor(readonly maxNumSeqs: number) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  get maxQueueLength(): number {
    return this.longestQueue;
  }

  /** Resolves when the request may run. A request aborted while waiting leaves the queue and rejects. */
  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.active < this.maxNumSeqs && this.queue.length === 0) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const admit = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = (): void => {
        const at = this.queue.indexOf(admit);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal.reason);
      };
      this.queue.push(admit);
      this.longestQueue = Math.max(this.longestQueue, this.queue.length);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}
