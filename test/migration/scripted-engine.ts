import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An engine that streams a fixed list of SSE chunks and then drops the connection: for answers the
 * simulator does not produce (tool-call and reasoning deltas), to check what the router does when
 * such an answer breaks off.
 */
export interface ScriptedEngine {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export async function startScriptedEngine(host: string, chunks: ReadonlyArray<Record<string, unknown>>): Promise<ScriptedEngine> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      state.requests++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join(''), () => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A chat chunk from engine `engine`. */
export function chatChunk(delta: Record<string, unknown>): Record<string, unknown> {
  return { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1, model: 'm1', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
}
