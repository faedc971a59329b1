import { KubeClient, createLogger, type Logger } from '@vllm-router/common';
import { Controller } from './controller/controller.js';
import { LeaseElector } from './leader/lease-elector.js';
import type { OperatorOptions } from './options.js';
import { HealthServer } from './server/health-server.js';
import { OperatorMetrics } from './server/operator-metrics.js';

export interface RunningOperator {
  controller: Controller;
  elector?: LeaseElector;
  metrics: OperatorMetrics;
  /** http://host:port of /healthz, /readyz, /metrics. */
  metricsUrl: string;
  logger: Logger;
  stop(): Promise<void>;
}

/** Start the operator: informers, the metrics port, and (with leader election) the Lease. */
export async function startOperator(options: OperatorOptions, env: NodeJS.ProcessEnv = process.env): Promise<RunningOperator> {
  const logger = createLogger(options.logLevel, options.logFormat, 'vllm-router-operator');
  const client = KubeClient.load(options.kubeconfig);
  const metrics = new OperatorMetrics({ processMetrics: true });
  const controller = new Controller(
    client,
    {
      namespace: options.namespace,
      proxyImage: options.proxyImage,
      workers: options.workers,
      resyncMs: options.resyncSeconds * 1000,
      identity: options.identity,
      ...(env.VLLM_API_KEY ? { engineApiKey: env.VLLM_API_KEY } : {}),
    },
    logger,
    metrics,
  );
  const health = new HealthServer(metrics.registry, {
    healthy: () => undefined,
    ready: () => (controller.synced ? undefined : 'informers have not synced yet'),
  });
  const address = await health.listen(options.metricsPort, options.metricsHost);
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  const metricsUrl = `http://${host}:${address.port}`;
  controller.start();

  let elector: LeaseElector | undefined;
  if (options.leaderElect) {
    elector = new LeaseElector(client, {
      namespace: options.leaseNamespace,
      name: options.leaseName,
      identity: options.identity,
      onStartedLeading: () => {
        logger.info('became leader', { lease: `${options.leaseNamespace}/${options.leaseName}`, identity: options.identity });
        controller.setLeading(true);
      },
      onStoppedLeading: () => {
        logger.warn('lost leadership; reconciling paused', { identity: options.identity });
        controller.setLeading(false);
      },
      onError: (err) => logger.warn('leader election attempt failed', { error: err instanceof Error ? err.message : String(err) }),
    });
    elector.start();
  } else {
    controller.setLeading(true);
  }
  logger.info(`vllm-router-operator metrics listening on ${metricsUrl}`, {
    namespace: options.namespace || 'all',
    server: client.server,
    leader_elect: options.leaderElect,
    proxy_image: options.proxyImage,
  });

  return {
    controller,
    ...(elector ? { elector } : {}),
    metrics,
    metricsUrl,
    logger,
    async stop() {
      await elector?.stop();
      await controller.stop();
      await health.close();
    },
  };
}
