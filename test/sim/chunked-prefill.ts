import { ServingModel, type Admission, type GenerationRequest, type ServingConfig, type TokenSink, type TtftSample } from './serving-model.js';

/** Timers fire up to about a millisecond late; a step that starts this late is not pushed back further. */
const TIMER_SLACK_MS = 1;

interface Job {
  request: GenerationRequest;
  admission: Admission;
  onToken: TokenSink;
  /** Prompt tokens still to compute. */
  prefillLeft: number;
  /** Output tokens emitted so far. */
  emitted: number;
  admittedAt: number;
  sample?: TtftSample;
  resolve(sample: TtftSample): void;
  reject(err: unknown): void;
  detach(): void;
}

/**
 * The engine as vLLM's scheduler runs it with chunked prefill: one batch of work per engine step
 * for every running request. A step gives each decoding request one token, then fills what is
 * left of `maxNumBatchedTokens` with prompt chunks of prefilling requests, oldest first. The step
 * lasts `tokenDelayMs` when it decodes anything, plus `prefillMsPerToken` for every prompt token in
 * it: so a new request's prefill stalls the decode steps of every running request on the engine,
 * which is the interference disaggregated prefill removes. A request's first token leaves at the
 * end of the step that computes its last prompt chunk; the next ones, one per step.
 */
export class ChunkedPrefillServingModel extends ServingModel {
  private readonly jobs: Job[] = [];
  private looping = false;

  constructor(
    config: ServingConfig,
    private readonly maxNumBatchedTokens: number,
  ) {
    super(config);
  }

  protected override run(request: GenerationRequest, admission: Admission, onToken: TokenSink, signal: AbortSignal): Promise<TtftSample> {
    signal.throwIfAborted();
    return new Promise<TtftSample>((resolve, reject) => {
      const onAbort = () => {
        const at = this.jobs.indexOf(job);
        if (at >= 0) this.jobs.splice(at, 1);
        reject(signal.reason);
      };
      const job: Job = {
        request,
        admission,
        onToken,
        prefillLeft: request.promptTokens - admission.skippedTokens,
        emitted: 0,
        admittedAt: performance.now(),
        resolve,
        reject,
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.jobs.push(job);
      if (!this.looping) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.looping = true;
    let stepStart = performance.now();
    try {
      while (this.jobs.length > 0) {
        const decoding = this.jobs.filter((j) => j.prefillLeft === 0).slice(0, this.maxNumBatchedTokens);
        let budget = this.maxNumBatchedTokens - decoding.length;
        const chunks: Array<{ job: Job; tokens: number }> = [];
        for (const job of this.jobs) {
          if (budget <= 0) break;
          if (job.prefillLeft === 0) continue;
          const tokens = Math.min(job.prefillLeft, budget);
          chunks.push({ job, tokens });
          budget -= tokens;
        }
        const prefillTokens = chunks.reduce((sum, c) => sum + c.tokens, 0);
        const stepMs = (decoding.length > 0 ? this.config.tokenDelayMs : 0) + prefillTokens * this.config.prefillMsPerToken;
        const stepEnd = stepStart + stepMs;
        await waitUntil(stepEnd);
        for (const job of decoding) if (this.jobs.includes(job)) this.decodeOne(job);
        for (const { job, tokens } of chunks) {
          if (!this.jobs.includes(job)) continue;
          job.prefillLeft -= tokens;
          if (job.prefillLeft === 0) this.firstToken(job);
        }
        // The next step starts when this one ends, unless the event loop held us up.
        stepStart = Math.max(stepEnd, performance.now() - TIMER_SLACK_MS);
      }
    } finally {
      this.looping = false;
    }
  }

  private firstToken(job: Job): void {
    job.sample = this.prefilled(job.request, job.admission, performance.now() - job.admittedAt);
    this.decodeOne(job);
  }

  private decodeOne(job: Job): void {
    try {
      this.emit(job.request, job.admission, job.emitted, job.onToken);
    } catch (err) {
      this.finish(job);
      job.reject(err);
      return;
    }
    job.emitted++;
    if (job.emitted >= job.request.outputTokens) {
      this.finish(job);
      job.resolve(job.sample!);
    }
  }

  private finish(job: Job): void {
    const at = this.jobs.indexOf(job);
    if (at >= 0) this.jobs.splice(at, 1);
    job.detach();
  }
}

/** Sleeps to an absolute performance.now() deadline; always yields, so a zero-length step cannot spin. */
function waitUntil(deadline: number): Promise<void> {
  const wait = deadline - performance.now();
  return new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
}
