/** vLLM's --scheduling-policy: fcfs (arrival order) or priority (lowest `priority` first, then arrival). */
export type SchedulingPolicy = 'fcfs' | 'priority';

interface Waiting {
  admit: () => void;
  priority: number;
}

/**
 * vLLM's max_num_seqs: at most maxNumSeqs requests run; the rest wait in arrival (FIFO) order, or,
 * with the priority policy, by priority and then arrival (running requests are not preempted).
 */
export class FifoScheduler {
  private active = 0;
  private readonly queue: Waiting[] = [];
  private longestQueue = 0;

  constructor(
    readonly maxNumSeqs: number,
    readonly policy: SchedulingPolicy = 'fcfs',
  ) {}

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
  async acquire(signal: AbortSignal, priority = 0): Promise<void> {
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
      const entry: Waiting = { admit, priority: this.policy === 'priority' ? priority : 0 };
      const onAbort = (): void => {
        const at = this.queue.indexOf(entry);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal.reason);
      };
      // Behind every request of the same or a more urgent priority: FIFO within a priority.
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1]!.priority > entry.priority) at--;
      this.queue.splice(at, 0, entry);
      this.longestQueue = Math.max(this.longestQueue, this.queue.length);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    this.queue.shift()?.admit();
  }
}
