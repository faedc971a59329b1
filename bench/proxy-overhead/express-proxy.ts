/**
 * Child program: the preferred libraries' proxy, doing the least a model router must. express reads
 * the body and parses it for `model` (unknown models are refused), then http-proxy forwards the
 * buffered body over a keep-alive agent and pipes the answer back. Kept in the bench so the choice
 * of node:http + undici for vllm-router is measured against it in every run.
 * Usage: express-proxy.js <upstreamPort> <model>
 */
import express, { type Request, type Response } from 'express';
import httpProxy from 'http-proxy';
import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import { exitWithParent, sendToParent } from './child-ipc.js';

const upstreamPort = Number(process.argv[2]);
const served = new Set([process.argv[3] ?? '']);
const agent = new Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 30_000 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent, xfwd: false });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});

exitWithParent();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.raw({ type: () => true, limit: '32mb' }));
app.post('/v1/*path', (req: Request, res: Response) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let model: unknown;
  try {
    model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
  } catch {
    res.status(400).json({ error: { message: 'bad JSON', type: 'invalid_request_error', param: null, code: 'invalid_json' } });
    return;
  }
  if (typeof model !== 'string' || !served.has(model)) {
    res.status(404).json({ error: { message: 'unknown model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    return;
  }
  req.headers['content-length'] = String(body.length);
  proxy.web(req, res, { buffer: Readable.from([body]) });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  sendToParent({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
server.keepAliveTimeout = 120_000;
