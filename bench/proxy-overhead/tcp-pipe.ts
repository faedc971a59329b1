/**
 * Child program: a layer-4 pass-through in Node. Each client connection gets its own upstream
 * connection and bytes are copied both ways; no HTTP parsing at all. Not a usable model router: it
 * shows what Node's event loop and sockets cost on their own, apart from the node:http layers.
 * Usage: tcp-pipe.js <upstreamPort>
 */
import { connect, createServer } from 'node:net';
import { exitWithParent, sendToParent } from './child-ipc.js';

const upstreamPort = Number(process.argv[2]);

exitWithParent();
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  sendToParent({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
