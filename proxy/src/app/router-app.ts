import { admissionOptions, admissionReport, createAdmission, engineAdmission, type AdmissionController } from '../admission/index.js';
import type { AdmissionOptions } from '../config/admission-settings.js';
import type { ProxyOptions } from '../config/options.js';
import { UpstreamPools } from '../forward/upstream-pools.js';
import { StaticHealthChecker } from '../health/health-checker.js';
import { DEFAULT_OUTLIER_SETTINGS, OutlierDetector } from '../health/outlier-detector.js';
import { httpCardFetcher, ModelCardCache } from '../models/model-cards.js';
import { EngineAvailability } from '../routing/availability.js';
import { infoRoutes } from '../http/handlers/info-routes.js';
import { modelRoute } from '../http/handlers/model-route.js';
import type { Route } from '../http/route.js';
import type { ClientLimits } from '../http/client-guard.js';
import { HttpServer } from '../http/server.js';
import type { Logger } from '@vllm-router/common';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { MigrationMetrics, RequestMigrator } from '../migration/index.js';
import { routingDecisionLogger } from '../logging/routing-log.js';
import { sleepRoutes } from '../http/handlers/sleep-routes.js';
import { voicesRoute } from '../http/handlers/voices-route.js';
import { SleepState } from '../routing/sleep-state.js';
import type { ExternalProviders } from '../providers/external-providers.js';
import type { RequestHooks } from '../hooks/request-hooks.js';
import type { RequestTelemetry } from '../telemetry/request-span.js';
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
      | 'outlierDetection'
      | 'outlierConsecutiveFailures'
      | 'outlierBaseEjectionSeconds'
      | 'outlierMaxEjectionSeconds'
      | 'outlierProbeIntervalSeconds'
      | 'requestMigrationAttempts'
      | 'requestMigrationDrainGraceSeconds'
      | 'kvAwareThreshold'
      | 'requestHeaderTimeoutMs'
      | 'requestBodyTimeoutMs'
      | 'maxHeaderBytes'
      | 'maxHeaderCount'
      | 'maxConnectionsPerClient'
    >
  > &
  /** Overload control; unset fields take the flags' defaults (no limits). */
  Partial<AdmissionOptions>;

export interface RouterAppDeps {
  logger: Logger;
  metrics?: ProxyMetrics;
  /** Routes added by optional features (files, batches), mounted before the catch-all 404. */
  extraRoutes?: (app: RouterApp) => Route[];
  /** --external-providers-config: upstreams added to every table applied, with their own keys. */
  externalProviders?: ExternalProviders;
  /** --callbacks and --request-rewriter. */
  hooks?: RequestHooks;
  /** OpenTelemetry and/or Sentry (--otel-endpoint, --sentry-dsn). */
  telemetry?: RequestTelemetry;
}

/**
 * The proxy as one object: routing core, HTTP server and the table currently in force. Config
 * sources call applyTable; an invalid table is refused and the last good one stays.
 */
export class RouterApp {
  readonly metrics: ProxyMetrics;
  readonly core: RoutingCore;
  /** Rate limits, the per-model queue and engine slots, in front of the routing core. */
  readonly admission: AdmissionController;
  readonly http: HttpServer;
  readonly pools: UpstreamPools;
  /** Request statistics and scraped engine metrics. */
  readonly stats: StatsService;
  /** Runs only with staticBackendHealthChecks. */
  readonly healthChecker: StaticHealthChecker | undefined;
  /** Passive outlier detection (on unless outlierDetection is false). */
  readonly outliers: OutlierDetector | undefined;
  /** The engines' own /v1/models cards. */
  readonly modelCards: ModelCardCache;
  /** Whether routing uses an engine now: readiness, ejection and health checks in one answer. */
  readonly availability: EngineAvailability;
  /** Request migration for chat and completions (off when requestMigrationAttempts is 0). */
  readonly migration: RequestMigrator;
  /** Engines put to sleep through POST /sleep; they leave routing until woken. */
  readonly sleep = new SleepState();
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
    this.stats = new StatsService({
      windowSeconds: settings.requestStatsWindow ?? 60,
      scrapeIntervalSeconds: settings.engineStatsInterval ?? 30,
      // A scrape the engine could not answer is an outlier signal like a failed request. A slow one
      // counts like a 5xx answer (only several in a row eject, and any good answer resets them): a
      // busy engine's API server may serve /metrics late while it serves requests well.
      onScrapeFailure: (engineId, reason, kind) => {
        if (kind === 'unreachable') this.outliers?.failed(engineId, 'scrape', `GET /metrics: ${reason}`);
        else if (kind === 'slow') this.outliers?.failed(engineId, 'scrape_slow', `GET /metrics: ${reason}`);
      },
    });
    this.healthChecker = settings.staticBackendHealthChecks
      ? new StaticHealthChecker({
          intervalMs: (settings.staticBackendHealthCheckInterval ?? 60) * 1000,
          timeoutMs: (settings.staticBackendHealthCheckTimeoutSeconds ?? 10) * 1000,
          logger: deps.logger,
          ...(settings.backendApiKey ? { backendApiKey: settings.backendApiKey } : {}),
        })
      : undefined;
    const statsIntervalMs = (settings.engineStatsInterval ?? 30) * 1000;
    this.modelCards = new ModelCardCache({ intervalMs: statsIntervalMs, timeoutMs: Math.min(statsIntervalMs, 5000), fetch: httpCardFetcher(settings.backendApiKey),
      onAnswer: (id) => this.outliers?.answered(id),
    });
    this.outliers = settings.outlierDetection === false ? undefined : this.outlierDetector(settings);
    this.availability = new EngineAvailability(this.outliers, this.healthChecker, this.sleep);
    this.core = new RoutingCore({
      pools: this.pools,
      metrics: this.metrics,
      maxFailoverAttempts: settings.maxInstanceFailoverRerouteAttempts,
      ...(settings.backendApiKey ? { backendApiKey: settings.backendApiKey } : {}),
      observer: this.stats.requests,
      signals: this.stats,
      health: this.availability,
      ...(this.outliers ? { outcomes: this.outliers } : {}),
      ...(settings.kvAwareThreshold !== undefined ? { policyOptions: { kvAwareThresholdTokens: settings.kvAwareThreshold } } : {}),
      onRouted: routingDecisionLogger(deps.logger, settings.logFormat),
      ...(deps.externalProviders ? { engineHeaders: (e: RoutingTable['engines'][number]) => deps.externalProviders?.headersFor(e) } : {}),
    });
    this.metrics.countEngines(() => {
      const engines = this.core.snapshot?.table.engines ?? [];
      const routable = engines.filter((e) => this.availability.whyOut(e) === undefined).length;
      return { routable, out: engines.length - routable };
    });
    this.migration = new RequestMigrator({
      core: this.core,
      metrics: new MigrationMetrics(this.metrics.registry),
      attempts: settings.requestMigrationAttempts ?? 1,
      drainGraceMs: (settings.requestMigrationDrainGraceSeconds ?? 20) * 1000,
      maxBufferedBytes: settings.maxBodyBytes,
    });
    this.admission = createAdmission(admissionOptions(settings), {
      registry: this.metrics.registry,
      core: this.core,
      apiKeys: settings.apiKeys,
      signals: (id) => {
        const fresh = this.stats.signals(id);
        const at = this.stats.scraper.get(id)?.scrapedAt;
        return fresh && at !== undefined ? { running: fresh.running, waiting: fresh.waiting, kvUsage: fresh.kvUsage, scrapedAt: at } : undefined;
      },
      engines: () => this.core.snapshot?.table.engines ?? [],
    });
    registerStatsMetrics(this.metrics.registry, () => this.engineReports());
    this.statsLogger = settings.logStats
      ? new StatsLogger(deps.logger, (settings.logStatsInterval ?? 10) * 1000, () => this.engineReports(), this.stats.requests.windowSeconds)
      : undefined;
    const routes: Route[] = [
      ...MODEL_ENDPOINTS.map((endpoint) => ({
        method: 'POST' as const,
        path: endpoint.path,
        handler: modelRoute(endpoint, { core: this.core, admission: this.admission, metrics: this.metrics, maxBodyBytes: settings.maxBodyBytes, migration: this.migration, logger: deps.logger, ...(deps.hooks ? { hooks: deps.hooks } : {}), ...(deps.telemetry ? { telemetry: deps.telemetry } : {}) }),
      })),
      voicesRoute({ core: this.core, metrics: this.metrics, maxBodyBytes: settings.maxBodyBytes }),
      ...sleepRoutes({ core: this.core, pools: this.pools, sleep: this.sleep, maxBodyBytes: settings.maxBodyBytes, ...(settings.backendApiKey ? { backendApiKey: settings.backendApiKey } : {}) }),
      ...infoRoutes({ core: this.core, metrics: this.metrics, health: () => this.healthReport(), startedAt: this.startedAt, sleep: this.sleep,
        engineReport: (e) => this.report(e),
        statsReport: () => ({ ...statsReport(this.core.snapshot?.table.engines ?? [], this.reportSources()), admission: admissionReport(this.admission) }),
        engineExtras: (e) => ({ admission: engineAdmission(this.admission, e) }),
        modelCards: this.modelCards,
        availability: this.availability,
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
    const checked = validateRoutingTable(candidate);
    if (!checked.ok) {
      this.rejectConfig(source, `invalid routing table: ${formatIssues(checked.issues)}`);
      return false;
    }
    const result = this.deps.externalProviders ? validateRoutingTable(this.deps.externalProviders.addTo(checked.table)) : checked;
    if (!result.ok) {
      this.rejectConfig(source, `invalid routing table with the external providers: ${formatIssues(result.issues)}`);
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
    this.admission.tableChanged(new Set(result.table.engines.map((e) => e.id)));
    this.healthChecker?.setTable(result.table);
    this.outliers?.setEngines(result.table.engines);
    this.modelCards.setEngines(result.table.engines);
    this.migration.routingChanged(result.table);
    this.sleep.retain(new Set(result.table.engines.map((e) => e.id)));
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

  /**
   * GET /health. `unhealthy` (503) only when the router itself can't work (no table, a failed
   * component); engines out of routing make it `degraded` (still 200: the router answers, with a
   * 503 per request for a model with no engine left) and are listed with the reason.
   */
  healthReport(): HealthReport {
    const table = this.core.snapshot?.table;
    const reasons = [...this.unhealthyReasons.entries()].map(([c, r]) => `${c}: ${r}`);
    if (!table) reasons.push('no routing table loaded yet');
    const out = (table?.engines ?? []).flatMap((e) => {
      const why = this.availability.whyOut(e);
      return why === undefined ? [] : [{ engine: e.id, reason: why }];
    });
    return {
      status: reasons.length ? 'unhealthy' : out.length ? 'degraded' : 'healthy',
      ...(this.dynamicConfig !== undefined ? { dynamic_config: this.dynamicConfig } : {}),
      ...(table
        ? {
            routing_table: {
              revision: table.revision,
              source: table.source,
              routing_logic: table.routingLogic,
              engines: table.engines.length,
              ready_engines: table.engines.length - out.length,
            },
          }
        : {}),
      ...(out.length ? { engines_out_of_routing: out } : {}),
      ...(this.configError ? { config_error: this.configError } : {}),
      ...(reasons.length ? { reasons } : {}),
    };
  }

  /** Per-engine statistics and health of the table in force (/stats, /metrics, the stats log). */
  engineReports(): EngineReport[] {
    return (this.core.snapshot?.table.engines ?? []).map((e) => this.report(e));
  }

  private report(engine: RoutingTable['engines'][number]): EngineReport {
    return engineReport(engine, this.reportSources());
  }

  private reportSources() {
    const outliers = this.outliers;
    return {
      stats: this.stats,
      health: this.healthChecker,
      routing: { whyOut: (e: RoutingTable['engines'][number]) => this.availability.whyOut(e), ...(outliers ? { outlier: (id: string) => outliers.view(id) } : {}) },
    };
  }

  private outlierDetector(settings: RouterAppSettings): OutlierDetector {
    const d = DEFAULT_OUTLIER_SETTINGS;
    const seconds = (v: number | undefined, fallbackMs: number) => (v === undefined ? fallbackMs : v * 1000);
    return new OutlierDetector({
      consecutiveFailures: settings.outlierConsecutiveFailures ?? d.consecutiveFailures,
      baseEjectionMs: seconds(settings.outlierBaseEjectionSeconds, d.baseEjectionMs),
      maxEjectionMs: seconds(settings.outlierMaxEjectionSeconds, d.maxEjectionMs),
      probeIntervalMs: seconds(settings.outlierProbeIntervalSeconds, d.probeIntervalMs),
      // The probe is the model-card request: an engine that answers it is reachable again.
      probe: (engine) => this.modelCards.refresh(engine),
      logger: this.deps.logger,
      onEject: (engine, signal) => this.metrics.engineEjections.inc({ server: engine.url, signal }),
    });
  }

  /** Listen, and start the background work: engine scrapes, health checks, the stats log. */
  async listen(): Promise<{ port: number; host: string }> {
    const address = await this.http.listen(this.settings.port, this.settings.host);
    this.stats.start();
    this.modelCards.start();
    this.outliers?.start();
    this.healthChecker?.start();
    this.statsLogger?.start();
    return address;
  }

  /** Drain: stop accepting, let requests and streams finish up to the timeout, then close pools. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    this.stats.stop();
    this.modelCards.stop();
    this.outliers?.stop();
    this.healthChecker?.stop();
    this.statsLogger?.stop();
    // Requests still waiting for an engine get a clear 503 now instead of holding the drain.
    this.admission.shutdown();
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
