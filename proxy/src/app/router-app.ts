import type { ProxyOptions } from '../config/options.js';
import { UpstreamPools } from '../forward/upstream-pools.js';
import { StaticHealthChecker } from '../health/health-checker.js';
import { infoRoutes } from '../http/handlers/info-routes.js';
import { modelRoute } from '../http/handlers/model-route.js';
import type { Route } from '../http/route.js';
import type { ClientLimits } from '../http/client-guard.js';
import { HttpServer } from '../http/server.js';
import type { Logger } from '@vllm-router/common';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { MODEL_ENDPOINTS } from '../routing/endpoints.js';
import { RoutingCore } from '../routing/routing-core.js';
import { formatIssues, validateRoutingTable, type RoutingTable } from '@vllm-router/common/routing-table';
import { engineReport, statsReport, type EngineReport } from '../stats/engine-report.js';
import { StatsLogger } from '../stats/stats-log.js';
import { registerStatsMetrics } from '../stats/stats-metrics.js';
import { StatsService } from '../stats/stats-service.js';
import type { HealthReport } from './health-report.js';

export type RouterAppSettings = Pick<
  ProxyOptions,
  'host' | 'port' | 'rootPath' | 'apiKeys' | 'backendApiKey' | 'maxBodyBytes' | 'connectTimeoutMs' | 'firstByteTimeoutMs' | 'maxInstanceFailoverRerouteAttempts'
> &
  /** Statistics and health checks; defaults as the flags' (stats on, health checks and the stats log off). */
  Partial<
    Pick<
      ProxyOptions,
      | 'logFormat'
      | 'engineStatsInterval'
      | 'requestStatsWindow'
      | 'logStats'
      | 'logStatsInterval'
      | 'staticBackendHealthChecks'
      | 'staticBackendHealthCheckInterval'
      | 'staticBackendHealthCheckTimeoutSeconds'
      | 'requestHeaderTimeoutMs'
      | 'requestBodyTimeoutMs'
      | 'maxHeaderBytes'
      | 'maxHeaderCount'
      | 'maxConnectionsPerClient'
    >
  >;

export interface RouterAppDeps {
  logger: Logger;
  metrics?: ProxyMetrics;
  /** Routes added by optional features (files, batches), mounted before the catch-all 404. */
  extraRoutes?: (app: RouterApp) => Route[];
}

/**
 * The proxy as one object: routing core, HTTP server and the table currently in force. Config
 * sources call applyTable; an invalid table is refused and the last good one stays.
 */
export class RouterApp {
  readonly metrics: ProxyMetrics;
  readonly core: RoutingCore;
  readonly http: HttpServer;
  readonly pools: UpstreamPools;
  /** Request statistics and scraped engine metrics. */
  readonly stats: StatsService;
  /** Runs only with staticBackendHealthChecks. */
  readonly healthChecker: StaticHealthChecker | undefined;
  private readonly statsLogger: StatsLogger | undefined;
  private readonly startedAt = Date.now();
  private dynamicConfig: unknown;
  private configError: HealthReport['config_error'];
  private readonly unhealthyReasons = new Map<string, string>();

  constructor(
    readonly settings: RouterAppSettings,
    readonly deps: RouterAppDeps,
  ) {
    this.metrics = deps.metrics ?? new ProxyMetrics({ processMetrics: true });
    this.pools = new UpstreamPools({ connectTimeoutMs: settings.connectTimeoutMs, firstByteTimeoutMs: settings.firstByteTimeoutMs });
    this.stats = new StatsService({ windowSeconds: settings.requestStatsWindow ?? 60, scrapeIntervalSeconds: settings.engineStatsInterval ?? 30 });
    this.healthChecker = settings.staticBackendHealthChecks
      ? new StaticHealthChecker({
          intervalMs: (settings.staticBackendHealthCheckInterval ?? 60) * 1000,
          timeoutMs: (settings.staticBackendHealthCheckTimeoutSeconds ?? 10) * 1000,
          logger: deps.logger,
          ...(settings.backendApiKey ? { backendApiKey: settings.backendApiKey } : {}),
        })
      : undefined;
    this.core = new RoutingCore({
      pools: this.pools,
      metrics: this.metrics,
      maxFailoverAttempts: settings.maxInstanceFailoverRerouteAttempts,
      ...(settings.backendApiKey ? { backendApiKey: settings.backendApiKey } : {}),
      observer: this.stats.requests,
      signals: this.stats,
      ...(this.healthChecker ? { health: this.healthChecker } : {}),
    });
    registerStatsMetrics(this.metrics.registry, () => this.engineReports());
    this.statsLogger = settings.logStats
      ? new StatsLogger(deps.logger, (settings.logStatsInterval ?? 10) * 1000, () => this.engineReports(), this.stats.requests.windowSeconds)
      : undefined;
    const routes: Route[] = [
      ...MODEL_ENDPOINTS.map((endpoint) => ({
        method: 'POST' as const,
        path: endpoint.path,
        handler: modelRoute(endpoint, { core: this.core, metrics: this.metrics, maxBodyBytes: settings.maxBodyBytes }),
      })),
      ...infoRoutes({ core: this.core, metrics: this.metrics, health: () => this.healthReport(), startedAt: this.startedAt,
        engineReport: (e) => this.report(e),
        statsReport: () => statsReport(this.core.snapshot?.table.engines ?? [], this.stats, this.healthChecker),
      }),
      ...(deps.extraRoutes?.(this) ?? []),
    ];
    this.http = new HttpServer({
      routes,
      apiKeys: settings.apiKeys,
      rootPath: settings.rootPath,
      logger: deps.logger,
      metrics: this.metrics,
      ...(settings.logFormat ? { logFormat: settings.logFormat } : {}),
      clientLimits: clientLimitsOf(settings),
    });
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  /** Validate and swap in a table from `source`. Returns false (and keeps the old table) when refused. */
  applyTable(candidate: unknown, source: string, dynamicConfig?: unknown): boolean {
    const result = validateRoutingTable(candidate);
    if (!result.ok) {
      this.rejectConfig(source, `invalid routing table: ${formatIssues(result.issues)}`);
      return false;
    }
    const previous = this.core.snapshot?.table.revision;
    try {
      this.core.setTable(result.table);
    } catch (err) {
      this.rejectConfig(source, err instanceof Error ? err.message : String(err));
      return false;
    }
    this.stats.setTable(result.table);
    this.healthChecker?.setTable(result.table);
    if (dynamicConfig !== undefined) this.dynamicConfig = dynamicConfig;
    this.configError = undefined;
    this.metrics.configReloads.inc({ source, result: 'applied' });
    this.metrics.configValid.set(1);
    if (previous !== result.table.revision) this.logTable(result.table, source, previous);
    return true;
  }

  /** Record a configuration that could not be used; routing continues on the last good table. */
  rejectConfig(source: string, message: string): void {
    this.configError = { source, message, at: new Date().toISOString() };
    this.metrics.configReloads.inc({ source, result: 'rejected' });
    this.metrics.configValid.set(0);
    this.logger.error('configuration rejected; keeping the last good routing table', { source, error: message });
  }

  /** Mark a background part (discovery, stats scraper) failed or recovered; /health answers 503 while any is failed. */
  setComponentFailure(component: string, reason: string | undefined): void {
    if (reason === undefined) this.unhealthyReasons.delete(component);
    else this.unhealthyReasons.set(component, reason);
  }

  healthReport(): HealthReport {
    const table = this.core.snapshot?.table;
    const reasons = [...this.unhealthyReasons.entries()].map(([c, r]) => `${c}: ${r}`);
    if (!table) reasons.push('no routing table loaded yet');
    return {
      status: reasons.length ? 'unhealthy' : 'healthy',
      ...(this.dynamicConfig !== undefined ? { dynamic_config: this.dynamicConfig } : {}),
      ...(table
        ? {
            routing_table: {
              revision: table.revision,
              source: table.source,
              routing_logic: table.routingLogic,
              engines: table.engines.length,
              ready_engines: table.engines.filter((e) => e.ready).length,
            },
          }
        : {}),
      ...(this.configError ? { config_error: this.configError } : {}),
      ...(reasons.length ? { reasons } : {}),
    };
  }

  /** Per-engine statistics and health of the table in force (/stats, /metrics, the stats log). */
  engineReports(): EngineReport[] {
    return (this.core.snapshot?.table.engines ?? []).map((e) => this.report(e));
  }

  private report(engine: RoutingTable['engines'][number]): EngineReport {
    return engineReport(engine, this.stats, this.healthChecker);
  }

  /** Listen, and start the background work: engine scrapes, health checks, the stats log. */
  async listen(): Promise<{ port: number; host: string }> {
    const address = await this.http.listen(this.settings.port, this.settings.host);
    this.stats.start();
    this.healthChecker?.start();
    this.statsLogger?.start();
    return address;
  }

  /** Drain: stop accepting, let requests and streams finish up to the timeout, then close pools. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    this.stats.stop();
    this.healthChecker?.stop();
    this.statsLogger?.stop();
    const clean = await this.http.drain(drainTimeoutMs);
    await (clean ? this.pools.closeAll() : this.pools.destroyAll());
    return clean;
  }

  private logTable(table: RoutingTable, source: string, previous: string | undefined): void {
    this.logger.info('routing table applied', {
      source,
      revision: table.revision,
      previous: previous ?? 'none',
      routing_logic: table.routingLogic,
      engines: table.engines.map((e) => `${e.id}${e.ready ? '' : '(not ready)'}=[${e.models.join(',')}]`).join(' '),
      aliases: Object.entries(table.aliases).map(([a, m]) => `${a}->${m}`).join(',') || 'none',
    });
  }
}

/** The client limits the settings give; the rest keep their defaults. */
function clientLimitsOf(s: RouterAppSettings): Partial<ClientLimits> {
  const limits: Partial<ClientLimits> = {};
  if (s.requestHeaderTimeoutMs !== undefined) limits.headerTimeoutMs = s.requestHeaderTimeoutMs;
  if (s.requestBodyTimeoutMs !== undefined) limits.bodyTimeoutMs = s.requestBodyTimeoutMs;
  if (s.maxHeaderBytes !== undefined) limits.maxHeaderBytes = s.maxHeaderBytes;
  if (s.maxHeaderCount !== undefined) limits.maxHeaderCount = s.maxHeaderCount;
  if (s.maxConnectionsPerClient !== undefined) limits.maxConnectionsPerClient = s.maxConnectionsPerClient;
  return limits;
}
