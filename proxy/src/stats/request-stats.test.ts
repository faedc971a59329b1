import { describe, expect, it } from '@jest/globals';
import { RequestStats } from './request-stats.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, set: (ms: number) => (t = ms), advance: (ms: number) => (t += ms) };
}

const sse = (...events: string[]) => Buffer.from(events.map((e) => `data: ${e}\n\n`).join(''));
const token = (text: string) => JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }], usage: null });
const USAGE = JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 40, completion_tokens: 5, total_tokens: 45, prompt_tokens_details: { cached_tokens: 32 } } });

describe('request statistics', () => {
  it('measures TTFT to the first body byte and inter-token latency over a stream, and reads usage', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 60, now: c.now });
    const start = c.now();
    const trace = stats.begin('e1', start);
    trace.responded(200, 'text/event-stream');
    expect(stats.view('e1')).toMatchObject({ in_flight: 1, prefilling: 1, decoding: 0 });

    c.advance(250);
    trace.chunk(sse(JSON.stringify({ choices: [{ delta: { role: 'assistant', content: '' } }] }), token('a')));
    expect(stats.view('e1')).toMatchObject({ prefilling: 0, decoding: 1 });
    for (const t of ['b', 'c', 'd', 'e']) {
      c.advance(20);
      trace.chunk(sse(token(t)));
    }
    trace.chunk(sse(USAGE, '[DONE]'));
    c.advance(5);
    trace.end();

    const v = stats.view('e1');
    expect(v).toMatchObject({ in_flight: 0, prefilling: 0, decoding: 0, finished: 1, errors: 0, prompt_tokens: 40, completion_tokens: 5 });
    expect(v.avg_ttft).toBeCloseTo(0.25, 6);
    expect(v.avg_itl).toBeCloseTo(0.02, 6); // 80 ms over 4 gaps between 5 tokens
    expect(v.avg_latency).toBeCloseTo(0.335, 6);
    expect(v.avg_decoding_length).toBe(5);
    expect(v.qps).toBeCloseTo(1 / 60, 6);
  });

  it('estimates inter-token latency from SSE events when the stream carries no usage', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 10, now: c.now });
    const trace = stats.begin('e1', c.now());
    trace.responded(200, 'text/event-stream; charset=utf-8');
    c.advance(100);
    trace.chunk(sse(token('a')));
    c.advance(30);
    trace.chunk(sse(token('b'), token('c'))); // two events in one chunk: same arrival time
    c.advance(30);
    trace.chunk(sse(token('d'), '[DONE]'));
    trace.end();
    expect(stats.view('e1').avg_itl).toBeCloseTo(0.02, 6); // 60 ms over 3 gaps; [DONE] is not a token
    expect(stats.view('e1').completion_tokens).toBe(0);
  });

  it('finds usage in a JSON body even when keys and numbers are split across chunks', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 10, now: c.now });
    const body = JSON.stringify({ id: 'x', choices: [{ message: { content: 'says "prompt_tokens":999 in text' } }], usage: { prompt_tokens: 1234, completion_tokens: 56, prompt_tokens_details: { cached_tokens: 7 } } });
    for (const cut of [body.lastIndexOf('"prompt_to') + 5, body.indexOf('"completion_tokens":') + 21, body.indexOf('1234') + 2]) {
      const trace = stats.begin('e1', c.now());
      trace.responded(200, 'application/json');
      trace.chunk(Buffer.from(body.slice(0, cut)));
      trace.chunk(Buffer.from(body.slice(cut)));
      trace.end();
    }
    expect(stats.view('e1')).toMatchObject({ prompt_tokens: 3 * 1234, completion_tokens: 3 * 56, avg_itl: null });
  });

  it('ignores absurd usage counts (400 digits would be Infinity in the lifetime counters)', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 10, now: c.now });
    for (const count of ['9'.repeat(400), '1000000001', '7']) {
      const trace = stats.begin('e1', c.now());
      trace.responded(200, 'application/json');
      trace.chunk(Buffer.from(`{"usage":{"prompt_tokens":${count},"completion_tokens":${count}}}`));
      trace.end();
    }
    const view = stats.view('e1');
    expect(view.lifetime).toMatchObject({ prompt_tokens: 7, completion_tokens: 7, finished: 3 });
    expect(view.prompt_tokens).toBe(7);
  });

  it('counts failures and 5xx answers as errors, without a TTFT', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 10, now: c.now });
    const refused = stats.begin('e1', c.now());
    refused.fail();
    refused.end();
    const five = stats.begin('e1', c.now());
    five.responded(503, 'application/json');
    c.advance(10);
    five.chunk(Buffer.from('{"error":{}}'));
    five.end();
    five.end(); // idempotent
    const v = stats.view('e1');
    expect(v).toMatchObject({ finished: 2, errors: 2, in_flight: 0, avg_ttft: null, lifetime: { finished: 2, errors: 2 } });
  });

  it('slides: requests older than the window no longer count, lifetime totals stay', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 5, now: c.now });
    const t = stats.begin('e1', c.now());
    t.responded(200, 'application/json');
    t.chunk(Buffer.from('{"usage":{"prompt_tokens":3,"completion_tokens":4}}'));
    t.end();
    c.advance(6000);
    expect(stats.view('e1')).toMatchObject({ finished: 0, qps: 0, prompt_tokens: 0, lifetime: { finished: 1, prompt_tokens: 3, completion_tokens: 4 } });
  });

  it('keeps memory constant however many requests pass: the window holds per-second sums, not requests', () => {
    const c = clock();
    const stats = new RequestStats({ windowSeconds: 60, now: c.now });
    const retained = () => stats.engineIds().reduce((sum, id) => sum + stats.get(id)!.window.retainedNumbers, 0);
    const warm = stats.begin('e1', c.now());
    warm.end();
    const before = retained();
    // 300,000 requests over 10 simulated minutes: 10x more seconds and 5,000x more requests than the window holds.
    for (let i = 0; i < 300_000; i++) {
      c.advance(2);
      const trace = stats.begin('e1', c.now());
      trace.responded(200, 'text/event-stream');
      trace.chunk(sse(token('x'), USAGE));
      trace.end();
    }
    expect(retained()).toBe(before);
    expect(stats.engineIds()).toEqual(['e1']);
    expect(stats.view('e1').finished).toBeLessThanOrEqual(30_000);
    expect(stats.view('e1').lifetime.finished).toBe(300_001);
  });

  it('forgets engines that left the table', () => {
    const stats = new RequestStats({ windowSeconds: 60 });
    stats.begin('a').end();
    stats.begin('b').end();
    stats.retain(new Set(['b']));
    expect(stats.engineIds()).toEqual(['b']);
  });
});
