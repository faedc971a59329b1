import { describe, expect, it, jest } from '@jest/globals';
import { silentLogger } from '@vllm-router/common';
import { OutlierDetector, type OutlierDetectorOptions } from './outlier-detector.js';

const A = { id: 'a', url: 'http://a' };

/** A detector on a clock the test moves, whose probe answer the test sets. */
function detector(overrides: Partial<OutlierDetectorOptions> = {}) {
  const clock = { now: 1_000_000 };
  const probe = { ok: false, calls: 0 };
  const ejections: string[] = [];
  const d = new OutlierDetector({
    consecutiveFailures: 3,
    baseEjectionMs: 10_000,
    maxEjectionMs: 25_000,
    probeIntervalMs: 1000,
    probe: async () => {
      probe.calls++;
      if (!probe.ok) throw new Error('ECONNREFUSED');
    },
    logger: silentLogger(),
    onEject: (_e, signal) => ejections.push(signal),
    now: () => clock.now,
    ...overrides,
  });
  d.setEngines([A]);
  d.succeeded('a'); // it has answered once (ejections before that don't count: see below)
  return { d, clock, probe, ejections };
}

describe('passive outlier detection', () => {
  it('ejects at once on a connect failure, and a passing probe brings the engine back', async () => {
    const { d, probe, ejections } = detector();
    d.failed('a', 'connect', 'ECONNREFUSED');
    expect(d.isEjected('a')).toBe(true);
    expect(ejections).toEqual(['connect']);
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(true);
    expect(d.view('a')).toMatchObject({ ejected: true, reason: 'connect: ECONNREFUSED', ejections: 1, last_probe: expect.stringContaining('failed: ECONNREFUSED') });
    probe.ok = true;
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(false);
    expect(d.view('a')).toMatchObject({ ejected: false, trial: false, consecutive_failures: 0 });
  });

  it('keeps an engine that flaps out longer each time: the n-th ejection waits (n-1) x base before probes count', async () => {
    const { d, clock, probe } = detector();
    probe.ok = true;
    d.failed('a', 'reset', 'ECONNRESET');
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(false);
    d.failed('a', 'reset', 'ECONNRESET');
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(true); // second ejection: 10 s before a probe is even sent
    expect(probe.calls).toBe(1);
    clock.now += 10_000;
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(false);
    d.failed('a', 'timeout', 'UND_ERR_HEADERS_TIMEOUT');
    expect(d.view('a').ejections).toBe(3);
    clock.now += 19_999;
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(true);
    clock.now += 1;
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(false);
  });

  it('forgets one ejection per base interval without failures', async () => {
    const { d, clock, probe } = detector();
    probe.ok = true;
    for (let i = 0; i < 2; i++) {
      d.failed('a', 'connect', 'ECONNREFUSED');
      clock.now += 10_000;
      await d.probeEjected();
    }
    expect(d.view('a').ejections).toBe(2);
    clock.now += 10_000;
    expect(d.view('a').ejections).toBe(1);
    clock.now += 10_000;
    expect(d.view('a').ejections).toBe(0);
    d.failed('a', 'connect', 'ECONNREFUSED');
    await d.probeEjected();
    expect(d.isEjected('a')).toBe(false); // a first ejection again: back on the first passing probe
  });

  it('ejects after consecutive 5xx answers for base x n, then lets a trial request decide', () => {
    const { d, clock } = detector();
    d.failed('a', 'status_5xx', 'HTTP 500');
    d.failed('a', 'status_5xx', 'HTTP 500');
    d.succeeded('a'); // a success in between starts the count again
    d.failed('a', 'status_5xx', 'HTTP 500');
    d.failed('a', 'status_5xx', 'HTTP 500');
    expect(d.isEjected('a')).toBe(false);
    d.failed('a', 'status_5xx', 'HTTP 503');
    expect(d.isEjected('a')).toBe(true);
    clock.now += 9_999;
    expect(d.isEjected('a')).toBe(true);
    clock.now += 1;
    expect(d.isEjected('a')).toBe(false);
    expect(d.view('a')).toMatchObject({ trial: true });
    d.failed('a', 'status_5xx', 'HTTP 500'); // the trial failed: out again, for twice as long
    expect(d.isEjected('a')).toBe(true);
    clock.now += 19_999;
    expect(d.isEjected('a')).toBe(true);
    clock.now += 1;
    expect(d.isEjected('a')).toBe(false);
    d.succeeded('a');
    expect(d.view('a')).toMatchObject({ trial: false, ejected: false, consecutive_failures: 0 });
  });

  it('counts a slow /metrics like a 5xx answer: only several in a row eject, and a good answer resets them', () => {
    const { d, ejections } = detector();
    d.failed('a', 'scrape_slow', 'GET /metrics: timed out after 5000 ms');
    d.failed('a', 'scrape_slow', 'GET /metrics: timed out after 5000 ms');
    d.succeeded('a');
    d.failed('a', 'scrape_slow', 'GET /metrics: timed out after 5000 ms');
    d.failed('a', 'scrape_slow', 'GET /metrics: timed out after 5000 ms');
    expect(d.isEjected('a')).toBe(false);
    d.failed('a', 'scrape_slow', 'GET /metrics: timed out after 5000 ms');
    expect(d.isEjected('a')).toBe(true);
    expect(ejections).toEqual(['scrape_slow']);
  });

  it('caps the interval at the maximum', () => {
    const { d, clock } = detector();
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) d.failed('a', 'status_5xx', 'HTTP 500');
      clock.now += 25_000;
      expect(d.isEjected('a')).toBe(false);
    }
  });

  it('does not probe engines ejected for 5xx answers (they are reachable)', async () => {
    const { d, probe } = detector();
    for (let j = 0; j < 3; j++) d.failed('a', 'status_5xx', 'HTTP 500');
    await d.probeEjected();
    expect(probe.calls).toBe(0);
  });

  it('does not count ejections of an engine that never answered yet (it is starting, not flapping)', async () => {
    const { d, probe } = detector();
    d.setEngines([{ id: 'new', url: 'http://new' }]);
    for (let i = 0; i < 3; i++) {
      d.failed('new', 'connect', 'ECONNREFUSED');
      await d.probeEjected();
    }
    expect(d.view('new').ejections).toBe(0);
    probe.ok = true;
    await d.probeEjected();
    expect(d.isEjected('new')).toBe(false);
    d.failed('new', 'connect', 'ECONNREFUSED'); // it answered a probe: this one counts
    expect(d.view('new').ejections).toBe(1);
  });

  it('starts an engine that changes URL afresh, and forgets engines that leave', () => {
    const { d } = detector();
    d.failed('a', 'scrape', 'GET /metrics: fetch failed (ECONNREFUSED)');
    expect(d.isEjected('a')).toBe(true);
    d.setEngines([{ id: 'a', url: 'http://a2' }]);
    expect(d.isEjected('a')).toBe(false);
    d.failed('a', 'connect', 'x');
    d.setEngines([]);
    expect(d.isEjected('a')).toBe(false);
    expect(() => d.failed('a', 'connect', 'x')).not.toThrow();
  });

  it('wakes no timer while no unreachable engine is out, probes while one is, and stops once it is back', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }); // count timers only
    try {
      const { d, probe } = detector();
      const others = jest.getTimerCount();
      d.start();
      expect(jest.getTimerCount()).toBe(others); // an idle router is not woken every probe interval
      d.failed('a', 'connect', 'ECONNREFUSED');
      expect(jest.getTimerCount()).toBe(others + 1);
      await jest.advanceTimersByTimeAsync(1000);
      expect(probe.calls).toBe(1);
      probe.ok = true;
      await jest.advanceTimersByTimeAsync(1000);
      expect(d.isEjected('a')).toBe(false);
      await jest.advanceTimersByTimeAsync(1000);
      expect(jest.getTimerCount()).toBe(others);
      expect(probe.calls).toBe(2);
      d.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
