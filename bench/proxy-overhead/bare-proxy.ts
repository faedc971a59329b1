/**
 * Child program: the least a Node proxy can do. No body parsing, no routing: each request is piped
 * to the upstream over a keep-alive agent and the response piped back (hop-by-hop headers dropped).
 * Usage: bare-proxy.js <upstreamPort>
 */
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import { exitWithParent, sendToParent } from './child-ipc.js';

const upstreamPort = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 30_000 }); // node:http agents set TCP_NODELAY by default
const HOP = ['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'te', 'trailer', 'upgrade'];

function withoutHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  for (const h of HOP) delete out[h];
  return out;
}

exitWithParent();
const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: withoutHop(req.headers), agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, withoutHop(upRes.headers));
    upRes.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  sendToParent({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
