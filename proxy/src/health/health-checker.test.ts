import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import winston from 'winston';
import { finalizeTable, type EngineEntry, type ModelType } from '@vllm-router/common/routing-table';
import { StaticHealthChecker } from './health-checker.js';
import { ProbeFailed, type ProbeSender } from './probe-sender.js';

/** A logger that keeps its lines (parsed JSON), to check what operators would see. */
function memoryLogger() {
  const lines: Array<{ level: string; message: string; [k: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, next) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      next();
    },
  });
  return { logger: winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] }), lines };
}

const engine = (id: string, models: string[]): EngineEntry => ({ id, url: `http://${id}`, models, backendKind: 'vllm', labels: {}, ready: true });
const table = (engines: EngineEntry[], modelTypes: Record<string, ModelType>) =>
  finalizeTable({ source: 'static', routingLogic: 'roundrobin', engines, aliases: {}, modelTypes });

/** A sender whose answer per URL the test controls. */
function controlledSender(): ProbeSender & { failing: Set<string>; sent: Array<{ url: string; path: string }> } {
  const failing = new Set<string>();
  const sent: Array<{ url: string; path: string }> = [];
  const send: ProbeSender = async (url, probe) => {
    sent.push({ url, path: probe.path });
    if (failing.has(url)) throw new ProbeFailed('HTTP 500: boom');
  };
  return Object.assign(send, { failing, sent });
}

describe('static backend health checks', () => {
  it('sends one probe per (engine, model) on the model type\'s endpoint', async () => {
    const send = controlledSender();
    const checker = new StaticHealthChecker({ intervalMs: 1000, timeoutMs: 100, logger: memoryLogger().logger, send });
    checker.setTable(table([engine('a', ['chat-m', 'emb-m']), engine('b', ['chat-m'])], { 'chat-m': 'chat', 'emb-m': 'embeddings' }));
    await checker.checkAll();
    expect(send.sent.map((s) => `${s.url}${s.path}`).sort()).toEqual(['http://a/v1/chat/completions', 'http://a/v1/embeddings', 'http://b/v1/chat/completions']);
    expect(checker.engineHealth('a')).toEqual({
      healthy: true,
      checks: [
        { model: 'chat-m', type: 'chat', healthy: true, checked_at: expect.any(String), consecutive_failures: 0 },
        { model: 'emb-m', type: 'embeddings', healthy: true, checked_at: expect.any(String), consecutive_failures: 0 },
      ],
    });
  });

  it('takes a failing pair out of routing with one warning, and brings it back when it passes', async () => {
    const send = controlledSender();
    const { logger, lines } = memoryLogger();
    const checker = new StaticHealthChecker({ intervalMs: 1000, timeoutMs: 100, logger, send });
    checker.setTable(table([engine('a', ['m']), engine('b', ['m'])], { m: 'chat' }));
    expect(checker.isHealthy('a', 'm')).toBe(true); // not checked yet: trusted

    send.failing.add('http://a');
    await checker.checkAll();
    await checker.checkAll();
    expect(checker.isHealthy('a', 'm')).toBe(false);
    expect(checker.isHealthy('b', 'm')).toBe(true);
    expect(checker.engineHealth('a')).toMatchObject({ healthy: false, checks: [{ reason: 'HTTP 500: boom', consecutive_failures: 2 }] });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([expect.objectContaining({ engine: 'a', model: 'm', reason: 'HTTP 500: boom' })]);

    send.failing.clear();
    await checker.checkAll();
    expect(checker.isHealthy('a', 'm')).toBe(true);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.message)).toEqual(['health check passed again; engine back in routing']);
  });

  it('does not check models without a type, and says so', async () => {
    const send = controlledSender();
    const checker = new StaticHealthChecker({ intervalMs: 1000, timeoutMs: 100, logger: memoryLogger().logger, send });
    checker.setTable(table([engine('a', ['m'])], {}));
    await checker.checkAll();
    expect(send.sent).toEqual([]);
    expect(checker.engineHealth('a').checks).toEqual([{ model: 'm', healthy: true, reason: 'no model type given; not checked', consecutive_failures: 0 }]);
  });

  it('follows the table: keeps the state of pairs that stay, forgets those that leave', async () => {
    const send = controlledSender();
    const checker = new StaticHealthChecker({ intervalMs: 1000, timeoutMs: 100, logger: memoryLogger().logger, send });
    send.failing.add('http://a');
    checker.setTable(table([engine('a', ['m']), engine('b', ['m'])], { m: 'chat' }));
    await checker.checkAll();
    checker.setTable(table([engine('a', ['m'])], { m: 'chat' }));
    expect(checker.isHealthy('a', 'm')).toBe(false);
    expect(checker.engineHealth('b').checks).toEqual([]);
  });

  it('checks every interval once started, and stops', async () => {
    const send = controlledSender();
    const checker = new StaticHealthChecker({ intervalMs: 15, timeoutMs: 100, logger: memoryLogger().logger, send });
    checker.setTable(table([engine('a', ['m'])], { m: 'completion' }));
    checker.start();
    await new Promise((r) => setTimeout(r, 100));
    checker.stop();
    const rounds = send.sent.length;
    expect(rounds).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(send.sent.length).toBe(rounds);
  });
});
