import type { Logger } from '@vllm-router/common';

/**
 * What went wrong with an engine. The first four are local-origin failures (the engine could not be
 * reached or went silent): they eject at once. `status_5xx` is an engine that answered with a 5xx,
 * `scrape_slow` one whose /metrics did not answer in time: only `consecutiveFailures` of these in a
 * row eject it.
 */
export type OutlierSignal = 'connect' | 'reset' | 'timeout' | 'scrape' | 'scrape_slow' | 'status_5xx';

const LOCAL_ORIGIN: ReadonlySet<OutlierSignal> = new Set(['connect', 'reset', 'timeout', 'scrape']);

export interface OutlierSettings {
  /** 5xx answers in a row that eject an engine. */
  consecutiveFailures: number;
  /** The n-th recent ejection lasts n × this (local-origin ones: (n-1) × this before probes count). */
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** How often an ejected engine is probed. */
  probeIntervalMs: number;
}

export const DEFAULT_OUTLIER_SETTINGS: OutlierSettings = {
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  probeIntervalMs: 2_000,
};

/** Resolves when the engine answered (any status below 500), rejects with a reason otherwise. */
export type EngineProbe = (engine: { id: string; url: string }) => Promise<void>;

export interface OutlierDetectorOptions extends OutlierSettings {
  probe: EngineProbe;
  logger: Logger;
  /** Called on each ejection (metrics). */
  onEject?: (engine: { id: string; url: string }, signal: OutlierSignal) => void;
  now?: () => number;
}

/** One engine's outlier state, as /engines shows it. */
export interface OutlierView {
  ejected: boolean;
  /** Back in routing after an ejection, until its next request decides. */
  trial: boolean;
  reason?: string;
  ejected_at?: string;
  /** The earliest time it can come back. */
  ejected_until?: string;
  /** Recent ejections (they decay by one per base interval without a failure): sets the next interval. */
  ejections: number;
  consecutive_failures: number;
  last_probe?: string;
}

interface EngineState {
  id: string;
  url: string;
  consecutiveFailures: number;
  ejections: number;
  ejectedAt?: number;
  /** Earliest return; undefined when not ejected. */
  until?: number;
  /** Local-origin ejections return on a passing probe; status ones on a trial request. */
  localOrigin: boolean;
  trial: boolean;
  reason?: string;
  lastProbe?: string;
  /** When it last came back (or entered the table): ejections decay from here. */
  since: number;
  /** It has answered once: before that it is starting, and its ejections don't count as flapping. */
  answered: boolean;
}

/**
 * Passive outlier detection, as Envoy does it: connect failures, resets, timeouts and failed
 * scrapes eject an engine at once, and `consecutiveFailures` 5xx answers in a row eject it too.
 * The n-th recent ejection lasts longer than the one before (n × base, capped). An engine ejected
 * for being unreachable is probed every probe interval and comes back when a probe passes (the
 * first ejection needs no wait, later ones wait (n-1) × base first); one ejected for 5xx answers
 * comes back when its interval ends, on trial: its next answer decides.
 */
export class OutlierDetector {
  private engines = new Map<string, EngineState>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private probing: Promise<void> | undefined;

  constructor(private readonly options: OutlierDetectorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Follow the table: engines that stay (same URL) keep their state, new ones start clean. */
  setEngines(engines: ReadonlyArray<{ id: string; url: string }>): void {
    const next = new Map<string, EngineState>();
    for (const e of engines) {
      const old = this.engines.get(e.id);
      next.set(e.id, old && old.url === e.url ? old : { id: e.id, url: e.url, consecutiveFailures: 0, ejections: 0, localOrigin: false, trial: false, since: this.now(), answered: false });
    }
    this.engines = next;
  }

  isEjected(engineId: string): boolean {
    const s = this.engines.get(engineId);
    if (!s || s.until === undefined) return false;
    if (s.localOrigin || this.now() < s.until) return true;
    this.readmit(s, 'trial', 'ejection interval over; engine back in routing on trial');
    return false;
  }

  /** It answered something (its model list): it is up, so later ejections count as flapping. */
  answered(engineId: string): void {
    const s = this.engines.get(engineId);
    if (s) s.answered = true;
  }

  /** The engine answered with a status below 500. */
  succeeded(engineId: string): void {
    const s = this.engines.get(engineId);
    if (!s) return;
    s.consecutiveFailures = 0;
    s.answered = true;
    if (s.trial) {
      s.trial = false;
      this.options.logger.info('trial request passed; engine fully back in routing', { engine: s.id });
    }
  }

  failed(engineId: string, signal: OutlierSignal, reason: string): void {
    const s = this.engines.get(engineId);
    if (!s || s.until !== undefined) return;
    s.consecutiveFailures++;
    const local = LOCAL_ORIGIN.has(signal);
    if (local || s.trial || s.consecutiveFailures >= this.options.consecutiveFailures) this.eject(s, signal, local, reason);
  }

  view(engineId: string): OutlierView {
    const s = this.engines.get(engineId);
    if (!s) return { ejected: false, trial: false, ejections: 0, consecutive_failures: 0 };
    const ejected = this.isEjected(engineId);
    return {
      ejected,
      trial: s.trial,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(ejected && s.ejectedAt !== undefined ? { ejected_at: new Date(s.ejectedAt).toISOString() } : {}),
      ...(ejected && s.until !== undefined ? { ejected_until: new Date(s.until).toISOString() } : {}),
      ejections: this.decayed(s),
      consecutive_failures: s.consecutiveFailures,
      ...(s.lastProbe !== undefined ? { last_probe: s.lastProbe } : {}),
    };
  }

  /** Probe every engine ejected for being unreachable whose wait is over; concurrent calls share the round. */
  probeEjected(): Promise<void> {
    this.probing ??= Promise.allSettled(
      [...this.engines.values()].filter((s) => s.until !== undefined && s.localOrigin && this.now() >= s.until).map((s) => this.probeOne(s)),
    ).then(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** Probes run while an unreachable engine is out; no timer wakes the router otherwise. */
  start(): void {
    this.started = true;
    this.armProbes();
  }

  stop(): void {
    this.started = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private awaitingProbe(): boolean {
    for (const s of this.engines.values()) if (s.until !== undefined && s.localOrigin) return true;
    return false;
  }

  private armProbes(): void {
    if (!this.started || this.timer || !this.awaitingProbe()) return;
    this.timer = setInterval(() => {
      if (this.awaitingProbe()) void this.probeEjected();
      else {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, this.options.probeIntervalMs);
    this.timer.unref();
  }

  private async probeOne(s: EngineState): Promise<void> {
    let failure: string | undefined;
    try {
      await this.options.probe({ id: s.id, url: s.url });
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (this.engines.get(s.id) !== s || s.until === undefined) return; // left the table, or already back
    s.lastProbe = `${new Date(this.now()).toISOString()} ${failure === undefined ? 'passed' : `failed: ${failure}`}`;
    if (failure === undefined) {
      s.answered = true;
      this.readmit(s, 'probe', 'probe passed; engine back in routing');
    }
  }

  /** Ejections decay by one per base interval spent in routing without a failure. */
  private decayed(s: EngineState): number {
    if (s.until !== undefined || s.trial) return s.ejections;
    return Math.max(0, s.ejections - Math.floor((this.now() - s.since) / this.options.baseEjectionMs));
  }

  private eject(s: EngineState, signal: OutlierSignal, localOrigin: boolean, reason: string): void {
    const now = this.now();
    // An engine that never answered yet is starting (a pod whose server is not up), not flapping.
    s.ejections = this.decayed(s) + (s.answered ? 1 : 0);
    const { baseEjectionMs, maxEjectionMs } = this.options;
    // Unreachable engines come back on a probe: the first time at once, a flapping one after a wait.
    const wait = localOrigin ? Math.max(0, s.ejections - 1) * baseEjectionMs : Math.max(1, s.ejections) * baseEjectionMs;
    s.until = now + Math.min(maxEjectionMs, wait);
    s.ejectedAt = now;
    s.localOrigin = localOrigin;
    s.trial = false;
    s.reason = `${signal}: ${reason}`;
    delete s.lastProbe;
    this.options.logger.warn('engine ejected from routing', {
      engine: s.id,
      signal,
      reason,
      ejections: s.ejections,
      returns: localOrigin ? `when a probe passes${s.until > now ? ` after ${new Date(s.until).toISOString()}` : ''}` : `on trial at ${new Date(s.until).toISOString()}`,
    });
    this.options.onEject?.({ id: s.id, url: s.url }, signal);
    if (localOrigin) this.armProbes();
  }

  private readmit(s: EngineState, how: 'probe' | 'trial', message: string): void {
    delete s.until;
    delete s.ejectedAt;
    s.consecutiveFailures = 0;
    s.trial = how === 'trial';
    s.since = this.now();
    this.options.logger.info(message, { engine: s.id, ejections: s.ejections, was: s.reason });
  }
}
