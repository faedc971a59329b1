import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './kube-client.js';
import { KubeApiError } from './kube-errors.js';

/** A plain-HTTP stand-in for the API server. */
async function fakeApi(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; client: KubeClient }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const config = new KubeConfig();
  config.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'u', token: 't0ken' });
  return { server, client: new KubeClient(config) };
}

describe('KubeClient', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('sends JSON with the credentials and content type asked for, and parses the answer', async () => {
    const seen: string[] = [];
    const api = await fakeApi((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${req.headers['content-type']} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"ConfigMap"}');
      });
    });
    server = api.server;
    const out = await api.client.request<{ kind: string }>({ method: 'PATCH', path: '/api/v1/x', query: { force: true, skip: undefined }, body: { a: 1 }, contentType: 'application/apply-patch+yaml' });
    expect(out).toEqual({ kind: 'ConfigMap' });
    expect(seen).toEqual(['PATCH /api/v1/x?force=true Bearer t0ken application/apply-patch+yaml {"a":1}']);
  });

  it('turns a Status answer into KubeApiError with a stable code', async () => {
    const api = await fakeApi((_req, res) => res.writeHead(409, { 'content-type': 'application/json' }).end('{"kind":"Status","reason":"AlreadyExists","message":"leases \\"x\\" already exists"}'));
    server = api.server;
    const err = await api.client.request({ method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/a/leases', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 409, code: 'already_exists', reason: 'AlreadyExists' });
    expect((err as Error).message).toContain('leases "x" already exists');
  });

  it('streams watch lines, and rejects when the connection drops mid-stream', async () => {
    const api = await fakeApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD');
      setTimeout(() => res.write('IFIED","object":{"metadata":{"name":"a"}}}\n'), 10);
      setTimeout(() => res.socket?.destroy(), 30);
    });
    server = api.server;
    const lines: string[] = [];
    let opened = false;
    const done = api.client.stream({ path: '/api/v1/pods', query: { watch: true } }, (l) => lines.push((JSON.parse(l) as { type: string }).type), () => (opened = true));
    await expect(done).rejects.toMatchObject({ code: 'network' });
    expect(opened).toBe(true);
    expect(lines).toEqual(['ADDED', 'MODIFIED']);
  });

  it('stops a stream promptly when aborted', async () => {
    const api = await fakeApi((_req, res) => void res.writeHead(200).write('\n'));
    server = api.server;
    const abort = new AbortController();
    const done = api.client.stream({ path: '/api/v1/pods', signal: abort.signal }, () => undefined);
    setTimeout(() => abort.abort(), 20);
    await expect(done).rejects.toBeInstanceOf(KubeApiError);
  });
});
