import { describe, expect, it } from '@jest/globals';
import { EngineRoom, type EngineLoadSignal } from './engine-room.js';

describe('EngineRoom', () => {
  it('has room without limits, whatever is in flight', () => {
    const room = new EngineRoom({ maxConcurrencyPerEngine: 0 });
    for (let i = 0; i < 100; i++) room.acquire('a');
    expect(room.limited).toBe(false);
    expect(room.status('a')).toEqual({ room: true, inFlight: 100 });
  });

  it('holds an engine at --max-concurrency-per-engine until one of its requests ends', () => {
    const room = new EngineRoom({ maxConcurrencyPerEngine: 2 });
    const first = room.acquire('a');
    room.acquire('a');
    expect(room.status('a')).toEqual({ room: false, reason: 'concurrency', inFlight: 2 });
    expect(room.hasRoom('b')).toBe(true);
    first();
    first(); // a second release counts once
    expect(room.status('a')).toEqual({ room: true, inFlight: 1 });
  });

  it('saturates on the scraped waiting queue, and between scrapes counts sends and ends once the engine was seen full', () => {
    const signals = new Map<string, EngineLoadSignal>([['a', { running: 0, waiting: 0, kvUsage: 0.2, scrapedAt: 1 }]]);
    const room = new EngineRoom({ maxConcurrencyPerEngine: 0, maxEngineWaiting: 1 }, (id) => signals.get(id));
    // Never seen full: slots unknown, the scraped value alone counts.
    for (let i = 0; i < 3; i++) room.acquire('a');
    expect(room.status('a')).toMatchObject({ room: true, estimatedWaiting: 0 });
    signals.set('a', { running: 2, waiting: 1, kvUsage: 0.5, scrapedAt: 2 }); // full: 2 slots
    expect(room.status('a')).toMatchObject({ room: true, estimatedWaiting: 1 });
    const r1 = room.acquire('a');
    expect(room.status('a')).toMatchObject({ room: false, reason: 'waiting', estimatedWaiting: 2 });
    r1();
    r1(); // a second release counts once
    expect(room.status('a')).toMatchObject({ room: true, estimatedWaiting: 1 });
    signals.set('a', { running: 2, waiting: 5, kvUsage: 0.5, scrapedAt: 3 }); // a new scrape replaces the estimate
    expect(room.status('a')).toMatchObject({ room: false, reason: 'waiting', estimatedWaiting: 5 });
    signals.set('a', { running: 1, waiting: 0, kvUsage: 0.5, scrapedAt: 4 });
    room.acquire('a');
    expect(room.status('a')).toMatchObject({ room: true, estimatedWaiting: 0 }); // the send took the free slot
    room.acquire('a');
    room.acquire('a');
    expect(room.status('a')).toMatchObject({ room: false, estimatedWaiting: 2 });
    expect(room.status('unscraped')).toEqual({ room: true, inFlight: 0 });
  });

  it('saturates on KV-cache use above --max-engine-kv-usage', () => {
    const room = new EngineRoom({ maxConcurrencyPerEngine: 0, maxEngineKvUsage: 0.9 }, () => ({ running: 1, waiting: 0, kvUsage: 0.95, scrapedAt: 1 }));
    expect(room.status('a')).toMatchObject({ room: false, reason: 'kv_usage', kvUsage: 0.95 });
  });

  it('forgets idle engines that left the table, and keeps the count of busy ones', () => {
    const room = new EngineRoom({ maxConcurrencyPerEngine: 1 });
    room.acquire('busy');
    const end = room.acquire('idle');
    end();
    room.retain(new Set());
    expect(room.hasRoom('busy')).toBe(false);
    expect(room.inFlight('idle')).toBe(0);
  });
});
