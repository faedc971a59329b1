import { connect } from 'node:net';

/**
 * Raw sockets for tests that send what no HTTP client library would (bad framing, odd targets,
 * pipelining, early close), and a strict parser for what comes back.
 */

export interface RawExchangeOptions {
  /** Stop waiting for more bytes after this long (the connection is then destroyed). Default 2000. */
  timeoutMs?: number;
  /** Half-close after writing (the client sends FIN). Default false. */
  endAfterWrite?: boolean;
  /** Write the request in pieces with this pause between them. */
  pieces?: Array<Buffer | string>;
  pauseMs?: number;
}

export interface RawExchangeResult {
  bytes: Buffer;
  /** The server closed the connection (rather than the wait timing out). */
  closedByServer: boolean;
  /** ECONNRESET and the like, if the connection ended with an error. */
  error?: string;
}

/** Send `request` on a new connection and collect everything the server answers until it closes or the wait ends. */
export function rawExchange(host: string, port: number, request: Buffer | string, options: RawExchangeOptions = {}): Promise<RawExchangeResult> {
  const timeoutMs = options.timeoutMs ?? 2000;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    let error: string | undefined;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closedByServer, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      void (async () => {
        const pieces = options.pieces ?? [request];
        for (const [i, piece] of pieces.entries()) {
          if (socket.destroyed) return;
          if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
          socket.write(piece);
        }
        if (options.endAfterWrite) socket.end();
      })();
    });
  });
}

export interface ParsedResponse {
  status: number;
  /** Header names lower-cased; repeated ones joined with ', '. */
  headers: Map<string, string>;
  body: Buffer;
}

export interface ParseResult {
  responses: ParsedResponse[];
  /** Bytes after the last complete response (a cut stream, or garbage). */
  rest: Buffer;
  /** Why parsing stopped before the end, if it did. */
  problem?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parse every complete HTTP/1.x response in `bytes` (pipelined answers follow each other), strictly:
 * a status line, well-formed header fields, and a body framed by Content-Length or chunked encoding.
 */
export function parseResponses(bytes: Buffer): ParseResult {
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return { responses, rest: bytes.subarray(at), problem: 'incomplete head' };
    const lines = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(lines[0] ?? '');
    if (!m) return { responses, rest: bytes.subarray(at), problem: `bad status line ${JSON.stringify(lines[0])}` };
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      if (colon <= 0 || !TOKEN.test(name)) return { responses, rest: bytes.subarray(at), problem: `bad header line ${JSON.stringify(line)}` };
      const key = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(key, headers.has(key) ? `${headers.get(key)}, ${value}` : value);
    }
    const status = Number(m[1]);
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) body = Buffer.alloc(0);
    else if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) return { responses, rest: bytes.subarray(at), problem: 'incomplete chunk size' };
        const size = Number.parseInt(bytes.subarray(bodyStart, lineEnd).toString('latin1').split(';')[0]!, 16);
        if (!Number.isFinite(size) || size < 0) return { responses, rest: bytes.subarray(at), problem: 'bad chunk size' };
        const dataStart = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = bytes.indexOf('\r\n', dataStart);
          if (trailerEnd < 0) return { responses, rest: bytes.subarray(at), problem: 'incomplete last chunk' };
          bodyStart = trailerEnd + 2;
          break;
        }
        if (dataStart + size + 2 > bytes.length) return { responses, rest: bytes.subarray(at), problem: 'incomplete chunk' };
        parts.push(bytes.subarray(dataStart, dataStart + size));
        bodyStart = dataStart + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers.has('content-length')) {
      const length = Number(headers.get('content-length'));
      if (!Number.isInteger(length) || length < 0) return { responses, rest: bytes.subarray(at), problem: 'bad content-length' };
      if (bodyStart + length > bytes.length) return { responses, rest: bytes.subarray(at), problem: 'incomplete body' };
      body = bytes.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else {
      // Delimited by the close of the connection.
      body = bytes.subarray(bodyStart);
      bodyStart = bytes.length;
    }
    responses.push({ status, headers, body });
    at = bodyStart;
  }
  return { responses, rest: Buffer.alloc(0) };
}

/** True when `body` is the OpenAI error shape {"error":{"message","type","param","code"}}. */
export function isOpenAIErrorBody(body: Buffer | string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(body.toString());
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Record<string, unknown>;
  // `code` is a string in OpenAI's errors and the router's own, the HTTP status as a number in vLLM's.
  return typeof e.message === 'string' && typeof e.type === 'string' && (typeof e.code === 'string' || typeof e.code === 'number') && (e.param === null || typeof e.param === 'string');
}
