import type { V1Pod } from '@kubernetes/client-node';
import { Informer, KubeClient, kubeListWatcher } from '@vllm-router/common';
import { startEngineSim, type EngineSim, type EngineSimOptions } from '../../sim/index.js';

export interface PodSimulatorsOptions {
  kubeconfig: string;
  namespace: string;
  labelSelector: string;
  port: number;
  /** Options of the simulator for a pod (default: serve the pod's `model` label). */
  simFor?: (pod: V1Pod) => EngineSimOptions;
}

/**
 * Plays the engine containers of kwok's fake pods: for every pod with an IP, a vllm-engine-sim
 * listens on <podIP>:<port> (engine id = pod name) until the pod is deleted. kwok hands out
 * loopback pod IPs (127.1.x.y) and reuses them, so starts and stops run one at a time per IP.
 */
export class PodSimulators {
  private readonly sims = new Map<string, { pod: string; sim: Promise<EngineSim | undefined> }>();
  private readonly informer: Informer<V1Pod>;
  private chain: Promise<void> = Promise.resolve();
  readonly errors: string[] = [];

  constructor(private readonly options: PodSimulatorsOptions) {
    const client = KubeClient.load(options.kubeconfig);
    this.informer = new Informer<V1Pod>(
      kubeListWatcher(client, { path: `/api/v1/namespaces/${options.namespace}/pods`, labelSelector: options.labelSelector }),
      { backoff: { initialMs: 100, maxMs: 1000 } },
    );
    this.informer.handle({
      add: (p) => this.sync(p),
      update: (p) => this.sync(p),
      delete: (p) => this.drop(p),
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  /** Pod names that have a simulator running now. */
  get running(): string[] {
    return [...this.sims.values()].map((s) => s.pod).sort();
  }

  sim(podName: string): Promise<EngineSim | undefined> | undefined {
    return [...this.sims.values()].find((s) => s.pod === podName)?.sim;
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    await this.chain;
    await Promise.all([...this.sims.values()].map(async (s) => (await s.sim)?.close()));
    this.sims.clear();
  }

  private sync(pod: V1Pod): void {
    const ip = pod.status?.podIP;
    const name = pod.metadata?.name ?? '';
    if (!ip || this.sims.get(ip)?.pod === name) return;
    this.serially(async () => {
      const previous = this.sims.get(ip);
      if (previous) await (await previous.sim)?.close(); // an IP kwok gave to a new pod
      const options = this.options.simFor?.(pod) ?? { models: [pod.metadata?.labels?.model ?? 'sim-model'] };
      const sim = startEngineSim({ ...options, engineId: name, host: ip, port: this.options.port }).catch((err: unknown) => {
        this.errors.push(`${name} on ${ip}: ${String(err)}`);
        return undefined;
      });
      this.sims.set(ip, { pod: name, sim });
      await sim;
    });
  }

  private drop(pod: V1Pod): void {
    const ip = pod.status?.podIP;
    if (!ip || this.sims.get(ip)?.pod !== pod.metadata?.name) return;
    this.serially(async () => {
      const entry = this.sims.get(ip);
      if (!entry || entry.pod !== pod.metadata?.name) return;
      this.sims.delete(ip);
      await (await entry.sim)?.close();
    });
  }

  private serially(task: () => Promise<void>): void {
    this.chain = this.chain.then(task, task);
  }
}
