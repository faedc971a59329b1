import { ConfigError, HelpRequested } from '../config/errors.js';
import { parseProxyArgs } from '../config/flags.js';
import type { ProxyOptions } from '../config/options.js';
import { buildStaticTable } from '../config/static-table.js';
import { dynamicConfigSource } from '../config/dynamic-config.js';
import { createLogger } from '@vllm-router/common';
import { VERSION } from '../version.js';
import { followDynamicConfig } from './dynamic-config-source.js';
import { unsupportedFlags } from './not-yet.js';
import { BatchFeature } from './batch-feature.js';
import { RouterApp } from './router-app.js';
import { loadExternalProviders } from '../providers/external-providers.js';
import { loadRequestHooks } from '../hooks/request-hooks.js';
import { combineTelemetry, type RequestTelemetry } from '../telemetry/request-span.js';
import type { Logger } from '@vllm-router/common';

/** The tracing backends the flags ask for; their SDKs are loaded only then. */
async function startTelemetry(options: ProxyOptions, logger: Logger): Promise<RequestTelemetry | undefined> {
  const parts: RequestTelemetry[] = [];
  if (options.otelEndpoint !== undefined) {
    const { createOtelTracing } = await import('../telemetry/otel-tracing.js');
    parts.push(await createOtelTracing({ endpoint: options.otelEndpoint, serviceName: options.otelServiceName, secure: options.otelSecure, version: VERSION }, logger));
  }
  if (options.sentryDsn !== undefined) {
    const { createSentryReporting } = await import('../telemetry/sentry-reporting.js');
    parts.push(
      await createSentryReporting(
        { dsn: options.sentryDsn, tracesSampleRate: options.sentryTracesSampleRate, profileSessionSampleRate: options.sentryProfileSessionSampleRate, release: VERSION },
        logger,
      ),
    );
  }
  return combineTelemetry(parts);
}
import { finalizeTable, type RoutingTable } from '@vllm-router/common/routing-table';

/** external-only: no engines of our own; the external providers are added to this table. */
function emptyTable(options: ProxyOptions): RoutingTable {
  return finalizeTable({ source: 'static', routingLogic: options.routingLogic, ...(options.sessionKey ? { sessionKey: options.sessionKey } : {}), engines: [], aliases: {}, modelTypes: {} });
}

export interface RunningProxy {
  app: RouterApp;
  url: string;
  /** Drain and stop; resolves true when every in-flight request finished in time. */
  shutdown(): Promise<boolean>;
}

/** Start the proxy from command-line arguments. Throws ConfigError for bad flags. */
export async function startProxy(argv: string[], env: NodeJS.ProcessEnv): Promise<RunningProxy> {
  const options: ProxyOptions = parseProxyArgs(argv, env);
  const problems = unsupportedFlags(options);
  if (problems.length) throw new ConfigError(undefined, undefined, problems.join('; '));
  const logger = createLogger(options.logLevel, options.logFormat);
  const externalProviders = options.externalProvidersConfig !== undefined ? loadExternalProviders(options.externalProvidersConfig, env) : undefined;
  const hooks = await loadRequestHooks(options);
  const telemetry = await startTelemetry(options, logger);
  const batches = options.enableBatchApi ? new BatchFeature(options, logger) : undefined;
  const app = new RouterApp(options, {
    logger,
    ...(hooks ? { hooks } : {}),
    ...(telemetry ? { telemetry } : {}),
    ...(batches ? { extraRoutes: (a: RouterApp) => batches.routesFor(a) } : {}),
    ...(externalProviders ? { externalProviders } : {}),
  });
  if (externalProviders)
    logger.info('external providers', { providers: externalProviders.providers.map((p) => `${p.name}=${p.engine.url}[${p.engine.models.join(',')}]`).join(' ') });
  if (options.serviceDiscovery === 'external-only' && !app.applyTable(emptyTable(options), 'static'))
    throw new ConfigError('--external-providers-config', options.externalProvidersConfig, 'produced an invalid routing table (see log)');

  // Static flags give the first table, unless a dynamic config file will provide the models.
  // Kubernetes and ConfigMap discovery bring their own tables (startDiscovery below).
  const dynamic = dynamicConfigSource(options);
  if (options.serviceDiscovery === 'static' && (options.staticModels.length > 0 || !dynamic)) {
    if (!app.applyTable(buildStaticTable(options), 'static')) throw new ConfigError('--static-backends', undefined, 'produced an invalid routing table (see log)');
  }
  const watcher = await followDynamicConfig(app, options);
  // Started from the config file alone: a file that cannot give a routing table is a startup error.
  if (options.serviceDiscovery === 'static' && !app.core.snapshot) {
    await watcher?.stop();
    const file = dynamic ? `--dynamic-config-${dynamic.format}` : '--static-backends';
    throw new ConfigError(file, dynamic?.path, `gives no usable routing table: ${app.healthReport().config_error?.message ?? 'no engines'}`);
  }
  // Loaded only when used: the Kubernetes client is large, and static mode should start fast and lean.
  const discovery = options.serviceDiscovery === 'static' ? undefined : await (await import('../discovery/start-discovery.js')).startDiscovery(app, options);

  await batches?.start();
  const { port, host } = await app.listen();
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info(`vllm-router ${VERSION} listening on http://${host}:${port}`, { routing_logic: options.routingLogic, discovery: options.serviceDiscovery });
  return {
    app,
    url,
    shutdown: async () => {
      watcher?.stop();
      await discovery?.stop();
      await batches?.stop();
      logger.info('draining: no new connections; waiting for in-flight requests', { in_flight: app.http.requestsInFlight, timeout_s: options.drainTimeoutSeconds });
      const clean = await app.stop(options.drainTimeoutSeconds * 1000);
      logger.info(clean ? 'drained; exiting' : 'drain timeout reached; remaining requests were cut');
      await telemetry?.shutdown(5000);
      return clean;
    },
  };
}

/** The `vllm-router` program: start, and drain on SIGTERM/SIGINT. */
export async function main(argv: string[]): Promise<void> {
  let proxy: RunningProxy;
  try {
    proxy = await startProxy(argv, process.env);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.text}\n`);
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`vllm-router: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    proxy.app.logger.info(`received ${signal}`);
    void proxy.shutdown().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
