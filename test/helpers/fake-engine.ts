import { createServer, type Server, type Socket } from 'node:net';

/**
 * An "engine" on a raw TCP socket, for faults no well-behaved HTTP server produces: closing with a
 * FIN before any byte, garbage instead of HTTP, answers trickled a byte at a time, stalls, a stream
 * cut mid-body, or a body with absurd usage numbers. Each accepted request gets `behave(socket, head)`.
 */
export type EngineBehaviour = (socket: Socket, requestHead: string) => void | Promise<void>;

export interface FakeEngine {
  url: string;
  /** Requests whose head was read so far. */
  readonly requests: number;
  setBehaviour(behave: EngineBehaviour): void;
  close(): Promise<void>;
}

export async function startFakeEngine(host: string, behave: EngineBehaviour): Promise<FakeEngine> {
  let behaviour = behave;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (head.length - end - 4 < length) return; // wait for the whole body
      socket.off('data', onData);
      requests++;
      void Promise.resolve(behaviour(socket, head.slice(0, end))).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}`,
    get requests() {
      return requests;
    },
    setBehaviour: (b) => void (behaviour = b),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A complete HTTP/1.1 JSON answer as bytes. Answers say `connection: close`: the fake engine serves
 * one request per connection, so each request meets the behaviour set when it was sent.
 */
export function jsonAnswer(status: number, body: string): string {
  return `HTTP/1.1 ${status} OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** The head of a streamed (SSE, chunked) answer. */
export const SSE_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n';

/** One SSE event as an HTTP chunk. */
export function sseChunk(data: string): string {
  const event = `data: ${data}\n\n`;
  return `${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
