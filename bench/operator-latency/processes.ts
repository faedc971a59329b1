import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const OPERATOR_CLI = fileURLToPath(new URL('../../../operator/dist/cli.js', import.meta.url));
const PROXY_CLI = fileURLToPath(new URL('../../../proxy/dist/cli.js', import.meta.url));

export interface Child {
  url: string;
  /** The last 64 KB the program printed. */
  output(): string;
  stop(): Promise<void>;
}

/** A free loopback port (the programs run at log level warn, so they print no start line to read one from). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a program on `port` and waits until `url + probe` answers at all (any status). */
async function startChild(script: string, args: (port: number) => string[], env: NodeJS.ProcessEnv, probe: string, timeoutMs = 15_000): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [script, ...args(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-65_536));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`${script} exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${script} did not answer on ${url} within ${timeoutMs} ms:\n${out}`);
    const answered = await fetch(`${url}${probe}`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export const startOperator = (kubeconfig: string, namespace: string) =>
  startChild(
    OPERATOR_CLI,
    (port) => ['--kubeconfig', kubeconfig, '--namespace', namespace, '--metrics-port', String(port), '--metrics-host', '127.0.0.1', '--log-level', 'warn'],
    {},
    '/healthz',
  );

export const startProxy = (kubeconfig: string, configMap: string) =>
  startChild(
    PROXY_CLI,
    (port) => ['--host', '127.0.0.1', '--port', String(port), '--service-discovery', 'configmap', '--routing-configmap', configMap, '--routing-logic', 'roundrobin', '--log-level', 'warn'],
    { KUBECONFIG: kubeconfig },
    '/health',
  );
