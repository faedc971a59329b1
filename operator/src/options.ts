import { hostname } from 'node:os';
import yargs from 'yargs';
import { DEFAULT_PROXY_IMAGE } from './api/constants.js';

export interface OperatorOptions {
  kubeconfig?: string;
  /** '' watches every namespace. */
  namespace: string;
  leaderElect: boolean;
  leaseName: string;
  leaseNamespace: string;
  identity: string;
  metricsPort: number;
  metricsHost: string;
  proxyImage: string;
  workers: number;
  resyncSeconds: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'text' | 'json';
}

export class OperatorUsageError extends Error {
  readonly code = 'usage';
}

export class OperatorHelp extends Error {
  constructor(readonly text: string) {
    super('help requested');
  }
}

/** Parse vllm-router-operator's command line. Throws OperatorUsageError or OperatorHelp. */
export function parseOperatorArgs(argv: string[], env: NodeJS.ProcessEnv): OperatorOptions {
  let help = '';
  const args = yargs()
    .scriptName('vllm-router-operator')
    .usage('$0 [options]\n\nReconciles VLLMRouter resources into a routing ConfigMap, a vllm-router Deployment, a Service and RBAC.')
    .options({
      kubeconfig: { type: 'string', describe: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)' },
      namespace: { type: 'string', default: '', describe: 'Namespace to watch (default: all namespaces)' },
      'leader-elect': { type: 'boolean', default: false, describe: 'Run only while holding a Lease (for more than one replica)' },
      'lease-name': { type: 'string', default: 'vllm-router-operator', describe: 'Name of the leader election Lease' },
      'lease-namespace': { type: 'string', default: env.POD_NAMESPACE ?? 'default', describe: 'Namespace of the Lease (default: $POD_NAMESPACE or default)' },
      identity: { type: 'string', default: env.POD_NAME ?? `${hostname()}-${process.pid}`, describe: 'This replica in the Lease and in events' },
      'metrics-port': { type: 'number', default: 8080, describe: '/healthz, /readyz and /metrics port (0 picks a free one)' },
      'metrics-host': { type: 'string', default: '0.0.0.0', describe: 'Address for the metrics port' },
      'proxy-image': { type: 'string', default: DEFAULT_PROXY_IMAGE, describe: 'vllm-router image for routers that name none' },
      workers: { type: 'number', default: 2, describe: 'VLLMRouters reconciled at once' },
      'resync-seconds': { type: 'number', default: 300, describe: 'Reconcile every router (and re-apply its objects) at least this often' },
      'log-level': { choices: ['error', 'warn', 'info', 'debug'] as const, default: 'info' as const },
      'log-format': { choices: ['text', 'json'] as const, default: 'text' as const },
    })
    .strict()
    .version(false)
    .help('help')
    .alias('help', 'h')
    .exitProcess(false)
    .fail((message, err) => {
      throw new OperatorUsageError(`${message || err?.message || 'invalid arguments'} (see --help)`);
    })
    .parseSync(argv, {}, (_err, _argv, output) => {
      help = output;
    });
  if (args.help) throw new OperatorHelp(help);

  const int = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) throw new OperatorUsageError(`--${name}: ${value} must be an integer from ${min} to ${max}`);
    return value;
  };
  return {
    ...(args.kubeconfig ? { kubeconfig: args.kubeconfig } : {}),
    namespace: args.namespace === 'all' ? '' : args.namespace,
    leaderElect: args['leader-elect'],
    leaseName: args['lease-name'],
    leaseNamespace: args['lease-namespace'],
    identity: args.identity,
    metricsPort: int('metrics-port', args['metrics-port'], 0, 65535),
    metricsHost: args['metrics-host'],
    proxyImage: args['proxy-image'],
    workers: int('workers', args.workers, 1, 64),
    resyncSeconds: int('resync-seconds', args['resync-seconds'], 10, 86_400),
    logLevel: args['log-level'],
    logFormat: args['log-format'],
  };
}
