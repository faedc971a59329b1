import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLUSTER_DIR = fileURLToPath(new URL('../../../test/cluster/', import.meta.url));

export interface LocalCluster {
  kubeconfig: string;
  env: Record<string, string>;
  /** Runs kubectl against the cluster; resolves to stdout. */
  kubectl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

function run(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${CLUSTER_DIR}${script}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`test/cluster/${script} exited with ${code}`))));
  });
}

/** test/cluster/up.sh (reusing a running cluster); stop() takes it down only if this call started it. */
export async function localCluster(): Promise<LocalCluster> {
  const started = (await run('up.sh')).trim().endsWith('started');
  const dir = process.env.VLLM_ROUTER_CLUSTER_DIR ?? fileURLToPath(new URL('../../../.cluster/', import.meta.url));
  const env = Object.fromEntries(
    readFileSync(`${dir.replace(/\/$/, '')}/env`, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        return m ? [[m[1], m[2]]] : [];
      }),
  ) as Record<string, string>;
  const kubeconfig = env.KUBECONFIG ?? `${dir}/kubeconfig`;
  return {
    kubeconfig,
    env,
    kubectl: async (args) => (await execFileAsync(env.KUBECTL ?? `${dir}/bin/kubectl`, ['--kubeconfig', kubeconfig, ...args])).stdout,
    stop: async () => {
      if (started && process.env.VLLM_ROUTER_CLUSTER_KEEP !== '1') await run('down.sh');
    },
  };
}
