import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import { ProxyError, errors, type OpenAIErrorBody } from './errors.js';

/** Limits on what one client may hold of the server: time, header size and count, connections. */
export interface ClientLimits {
  /** Milliseconds from a new connection (or a keep-alive request's first byte) to the end of its headers. */
  headerTimeoutMs: number;
  /** Milliseconds from the end of the headers to the last byte of the body. */
  bodyTimeoutMs: number;
  /** Bytes of request line and headers together (node's maxHeaderSize). */
  maxHeaderBytes: number;
  /** Header fields per request. */
  maxHeaderCount: number;
  /** Open connections per client address; one more is answered 429 and closed. 0: no cap. */
  maxConnectionsPerClient: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  headerTimeoutMs: 20_000,
  bodyTimeoutMs: 300_000,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxConnectionsPerClient: 256,
};

/** Why a client was cut or refused before a handler could answer (the label of the counter). */
export type ClientFault =
  | 'header_timeout'
  | 'idle_connection'
  | 'body_timeout'
  | 'headers_too_large'
  | 'too_many_headers'
  | 'malformed_request'
  | 'connection_limit'
  | 'client_aborted';

/** The node:http server options these limits translate to. */
export function serverOptionsFor(limits: ClientLimits) {
  return {
    headersTimeout: limits.headerTimeoutMs,
    // The body deadline is ours (below): node's requestTimeout would answer 408 under a handler's feet.
    requestTimeout: 0,
    // node checks the header deadline on this interval; 30 s by default would let it slip that much.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headerTimeoutMs / 4))),
    maxHeaderSize: limits.maxHeaderBytes,
    // node drops headers past this count silently; keep one more so too many can be refused.
    maxHeadersCount: limits.maxHeaderCount + 1,
    // node answers a Host-less HTTP/1.1 request with a bare 400 of its own; begin() does it in our shape.
    requireHostHeader: false,
  };
}

/**
 * What keeps one client from holding the server: header and body deadlines, header limits, a cap
 * on connections per address, and answers to framing errors. Everything it refuses is answered in
 * the OpenAI error shape where the connection still allows an answer, and counted.
 */
export class ClientGuard {
  private readonly perAddress = new Map<string, number>();
  /** The last response on each socket (being served, or done), so a framing error never writes over or after it. */
  private readonly current = new WeakMap<Socket, ServerResponse>();
  readonly faults: Counter<'kind'>;

  constructor(
    private readonly limits: ClientLimits,
    registry: Registry,
  ) {
    registry.removeSingleMetric('vllm_router_client_faults_total');
    this.faults = new Counter({
      name: 'vllm_router_client_faults_total',
      help: 'Clients cut or refused for their own fault (deadlines, header limits, connection cap, bad framing, aborts mid-body), by kind.',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    // CONNECT (authority-form targets) is a tunnel request; a router has none to offer.
    server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      this.count('malformed_request');
      writeRaw(socket, errors.methodNotAllowed('CONNECT', 'this server'));
    });
  }

  count(kind: ClientFault): void {
    this.faults.inc({ kind });
  }

  /**
   * Called when a request arrives: refuses a missing Host or too many headers, and arms the body deadline. Returns
   * the error to answer with, if any; the handler runs otherwise.
   */
  begin(req: IncomingMessage, res: ServerResponse): ProxyError | undefined {
    const socket = req.socket;
    this.current.set(socket, res);
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      this.count('malformed_request');
      return errors.badRequest('HTTP/1.1 requests must carry a Host header.', null, 'missing_host');
    }
    if (req.rawHeaders.length / 2 > this.limits.maxHeaderCount) {
      this.count('too_many_headers');
      return new ProxyError(431, 'too_many_headers', `A request may carry at most ${this.limits.maxHeaderCount} header fields.`, 'invalid_request_error');
    }
    if (!req.complete) this.armBodyDeadline(req, res);
    return undefined;
  }

  /** The body must be in within bodyTimeoutMs of the headers: else 408 and the connection closes. */
  private armBodyDeadline(req: IncomingMessage, res: ServerResponse): void {
    const timer = setTimeout(() => {
      if (req.complete) return;
      this.count('body_timeout');
      const err = errors.requestTimeout(`The request body did not arrive within ${this.limits.bodyTimeoutMs} ms.`);
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      // Answer now, like node's own request timeout: the handler is still waiting for a body that
      // may never come. The socket closes once the answer is out, which ends that wait.
      answerAndClose(res, err);
    }, this.limits.bodyTimeoutMs);
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const open = (this.perAddress.get(address) ?? 0) + 1;
    this.perAddress.set(address, open);
    socket.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
    if (this.limits.maxConnectionsPerClient > 0 && open > this.limits.maxConnectionsPerClient) {
      this.count('connection_limit');
      socket.pause(); // read nothing more from it: no request on this socket reaches a handler
      writeRaw(
        socket,
        new ProxyError(429, 'too_many_connections', `At most ${this.limits.maxConnectionsPerClient} connections per client address.`, 'invalid_request_error'),
      );
    }
  }

  /** Framing errors, header overflow and the header deadline, answered where the socket still allows it. */
  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const res = this.current.get(socket);
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      // The client left mid-request (a FIN inside the headers or body). A request being served
      // counts itself when its handler sees the close; one still in its headers is counted here.
      if (!res) this.count('client_aborted');
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && !res && socket.bytesRead === 0) {
      // A connection that never sent a byte (a client's pre-opened spare): close it quietly. A 408
      // here would arrive unasked, and a client that sends its first request on that connection at
      // the same moment would read the 408 as the answer to it (the soak bench hit exactly that).
      this.count('idle_connection');
      socket.destroy();
      return;
    }
    const e = clientErrorOf(err);
    this.count(e.code === 'request_timeout' ? 'header_timeout' : e.status === 431 ? 'headers_too_large' : 'malformed_request');
    // The last answer on this socket said the connection ends (or was cut): nothing may follow it.
    if (res && (res.destroyed || (res.writableEnded && !keepsAlive(res)))) {
      socket.destroy();
      return;
    }
    if (res && !res.writableEnded) {
      // A request on this socket is being served: never write raw bytes into its answer.
      if (res.headersSent) socket.destroy();
      else answerAndClose(res, e);
      return;
    }
    writeRaw(socket, e);
  }
}

/** Answer through the request's own response (never raw bytes beside it), then close the connection. */
function answerAndClose(res: ServerResponse, e: ProxyError): void {
  const socket = res.socket; // node detaches it from the response on finish
  res.setHeader('connection', 'close');
  res.once('finish', () => socket?.destroy());
  const body = JSON.stringify(e.toBody());
  res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Whether the connection stays open after this answer (a `connection: close` header ends it too). */
function keepsAlive(res: ServerResponse): boolean {
  return res.shouldKeepAlive && !/\bclose\b/i.test(String(res.getHeader('connection') ?? ''));
}

function clientErrorOf(err: NodeJS.ErrnoException): ProxyError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return errors.requestTimeout('The request headers did not arrive in time.');
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return new ProxyError(431, 'headers_too_large', 'The request line and headers are too large.', 'invalid_request_error');
  return errors.badRequest(`Malformed HTTP request (${err.code ?? 'parse error'}).`, null, 'malformed_request');
}

/** A whole HTTP/1.1 answer written straight to a socket that has no response object, then closed. */
function writeRaw(socket: Socket, e: ProxyError): void {
  // A socket handed over by node (CONNECT) has no error listener left; a peer that resets while
  // this is written would otherwise raise an unhandled 'error' and end the process.
  if (socket.listenerCount('error') === 0) socket.on('error', () => socket.destroy());
  const body = JSON.stringify(e.toBody() satisfies OpenAIErrorBody);
  const reason = REASONS.get(e.status) ?? 'Error';
  socket.end(
    `HTTP/1.1 ${e.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}

const REASONS = new Map([
  [400, 'Bad Request'],
  [405, 'Method Not Allowed'],
  [408, 'Request Timeout'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
]);
