export { batchRoutes, type BatchRoutesDeps } from './routes.js';
export { BatchService, type BatchServiceOptions } from './service.js';
export { BatchStore, presentBatch, type BatchPage } from './store.js';
export { silentLogger, systemClock, type Clock, type Logger } from './deps.js';
export { DEFAULT_RETRY, type RetryPolicy } from './execute-line.js';
export { LeaseLostError, readLease, tryAcquireLease, type Lease, type LeaseRecord } from './lease.js';
export { journalRecords, replayJournal, type JournalRecord } from './journal.js';
export {
  BATCH_ENDPOINTS,
  DEFAULT_COMPLETION_WINDOWS,
  isBatchId,
  type BatchError,
  type BatchObject,
  type BatchStatus,
  type ErrorLine,
  type OutputLine,
  type StoredBatch,
} from './model.js';
