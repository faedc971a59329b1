import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const OPERATOR_CLI = fileURLToPath(new URL('../../../operator/dist/cli.js', import.meta.url));

export interface OperatorProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> serving /healthz, /readyz, /metrics. */
  metricsUrl: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Runs the built vllm-router-operator against a kubeconfig and waits for its metrics port. */
export async function startOperatorProcess(kubeconfig: string, args: string[] = [], timeoutMs = 15_000): Promise<OperatorProcess> {
  const child = spawn(process.execPath, [OPERATOR_CLI, '--kubeconfig', kubeconfig, '--metrics-port', '0', '--metrics-host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metricsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`operator did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /metrics listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`operator exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    child,
    metricsUrl,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
