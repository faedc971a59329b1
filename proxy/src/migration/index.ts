/** Request migration: a broken answer continues on another engine (see request-migrator.ts). */
export { RequestMigrator, type RequestMigratorOptions, type PassthroughRelay } from './request-migrator.js';
export { MigrationMetrics, type MigrationOutcome } from './migration-metrics.js';
export type { BreakReason } from './break-reason.js';
