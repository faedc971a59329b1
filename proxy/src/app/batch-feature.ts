import { BatchService, batchRoutes } from '../batches/index.js';
import { BatchMetrics } from '../batches/metrics.js';
import type { ProxyOptions } from '../config/options.js';
import { LocalFileStorage, fileRoutes } from '../files/index.js';
import type { Route } from '../http/route.js';
import type { Logger } from '@vllm-router/common';
import { CoreDispatcher } from './internal-dispatcher.js';
import type { RouterApp } from './router-app.js';

/**
 * The Files and Batches API (--enable-batch-api): files on local (or shared) storage, and batches
 * whose lines run through this router's own routing core.
 */
export class BatchFeature {
  private readonly storage: LocalFileStorage;
  private service: BatchService | undefined;

  constructor(
    private readonly options: Pick<ProxyOptions, 'fileStoragePath' | 'batchConcurrency' | 'batchLeaseSeconds' | 'maxFileBytes'>,
    private readonly logger: Logger,
  ) {
    this.storage = new LocalFileStorage({ root: options.fileStoragePath });
  }

  /** Routes for RouterApp's extraRoutes; the batch service dispatches through the app's core. */
  routesFor(app: RouterApp): Route[] {
    this.service = new BatchService({
      root: this.options.fileStoragePath,
      storage: this.storage,
      dispatcher: new CoreDispatcher(app.core, { admission: app.admission }),
      concurrency: this.options.batchConcurrency,
      leaseTtlMs: this.options.batchLeaseSeconds * 1000,
      logger: this.logger,
      metrics: new BatchMetrics(app.metrics.registry),
    });
    return [...fileRoutes({ storage: this.storage, maxFileBytes: this.options.maxFileBytes }), ...batchRoutes({ service: this.service })];
  }

  /** Clear what a crash left half-written, then resume unfinished batches. */
  async start(): Promise<void> {
    const swept = await this.storage.sweep();
    if (swept > 0) this.logger.info('removed leftovers of interrupted uploads', { files: swept });
    await this.service?.start();
  }

  /** Stop running lines (they run again on the next start) and release leases. */
  async stop(): Promise<void> {
    await this.service?.stop();
  }
}
