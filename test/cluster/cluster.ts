/**
 * The local control plane (test/cluster/up.sh) for integration tests: a real etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler on loopback, with kwok playing the kubelet for fake
 * Nodes whose pods get 127.1.x.y IPs.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const scripts = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(scripts, '..', '..');

export interface Cluster {
  /** Path of the admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Path of kubectl; pass `--kubeconfig` or use {@link Cluster.kubectlRun}. */
  kubectl: string;
  helm: string;
  /** The settings up.sh wrote to <cluster dir>/env (ports, URLs, versions). */
  env: Readonly<Record<string, string>>;
  /** Runs kubectl against this cluster; rejects on a non-zero exit. Resolves to stdout. */
  kubectlRun(args: readonly string[], stdin?: string): Promise<string>;
  /** Stops the cluster if this call started it; a cluster that was already up is left running. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where up.sh keeps state (default: <repo>/.cluster, or $VLLM_ROUTER_CLUSTER_DIR). */
  dir?: string;
  /** Leave the cluster running on stop() (also set by VLLM_ROUTER_CLUSTER_KEEP=1). */
  keep?: boolean;
}

/** Runs a script, its stderr on ours (so a cold build shows progress); resolves to its stdout. */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(scripts, script)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`test/cluster/${script} failed (${signal ?? `exit ${String(code)}`})`));
    });
  });
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) env[match[1]] = match[2];
  }
  return env;
}

/** Starts the local cluster (building its binaries on first use), or reuses a running one. */
export async function startCluster(options: StartOptions = {}): Promise<Cluster> {
  const dir = options.dir ?? process.env.VLLM_ROUTER_CLUSTER_DIR ?? join(repoRoot, '.cluster');
  const keep = options.keep ?? process.env.VLLM_ROUTER_CLUSTER_KEEP === '1';
  const env = { ...process.env, VLLM_ROUTER_CLUSTER_DIR: dir };
  // up.sh prints "started" or "running" (an already healthy cluster, which stop() leaves alone).
  const started = (await runScript('up.sh', env)).trim().endsWith('started');
  const settings = parseEnv(readFileSync(join(dir, 'env'), 'utf8'));
  const kubeconfig = join(dir, 'kubeconfig');
  const kubectl = join(dir, 'bin', 'kubectl');
  return {
    kubeconfig,
    kubectl,
    helm: join(dir, 'bin', 'helm'),
    env: settings,
    async kubectlRun(args, stdin) {
      const run = execFileAsync(kubectl, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 << 20 });
      // A program that exits before reading its stdin makes the write fail with EPIPE: its exit says what happened.
      run.child.stdin?.on('error', () => undefined).end(stdin ?? '');
      return (await run).stdout;
    },
    async stop() {
      if (started && !keep) await runScript('down.sh', env);
    },
  };
}
