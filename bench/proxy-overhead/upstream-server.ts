/**
 * Child program: a fixed-answer engine. POST answers a small chat completion at once; a body asking
 * for `"stream": true` gets an SSE answer of N chunks spaced by D ms (headers flushed first, the
 * first chunk D ms later). Anything else gets a model list. Usage: upstream-server.js <chunks> <gapMs>
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exitWithParent, sendToParent } from './child-ipc.js';
import { MODEL } from './workload.js';

const chunks = Number(process.argv[2] ?? 8);
const gapMs = Number(process.argv[3] ?? 5);

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1700000000,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 },
  }),
);
const models = Buffer.from(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', owned_by: 'bench' }] }));
const sseChunk = (i: number) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', model: MODEL, choices: [{ index: 0, delta: { content: `tok${i} ` } }] })}\n\n`;
const STREAM_FLAG = [Buffer.from('"stream":true'), Buffer.from('"stream": true')];

function stream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    sent++;
    if (sent <= chunks) {
      res.write(sseChunk(sent));
      timer = setTimeout(next, gapMs);
    } else res.end('data: [DONE]\n\n');
  };
  timer = setTimeout(next, gapMs);
  res.once('close', () => clearTimeout(timer));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': models.length });
    res.end(models);
    req.resume();
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.on('end', () => {
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (STREAM_FLAG.some((flag) => body.includes(flag))) return stream(res);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': completion.length });
    res.end(completion);
  });
}

exitWithParent();
const server = createServer({ keepAliveTimeout: 120_000 }, handle);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  sendToParent({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
