import { sortableSuffix } from '../files/storage.js';

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export const TERMINAL_STATUSES: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);

export function isTerminal(status: BatchStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Endpoints a batch may target (OpenAI's, plus the vLLM ones the router also serves). */
export const BATCH_ENDPOINTS: ReadonlySet<string> = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
  '/v1/moderations',
  '/v1/rerank',
  '/v1/score',
]);

/** OpenAI accepts only 24h; the map lets tests and operators add others. */
export const DEFAULT_COMPLETION_WINDOWS: Readonly<Record<string, number>> = { '24h': 24 * 3600 * 1000 };

export interface BatchError {
  code: string;
  message: string;
  line: number | null;
  param: string | null;
}

export interface RequestCounts {
  total: number;
  completed: number;
  failed: number;
}

/** The OpenAI batch object, exactly as clients see it. Timestamps are Unix seconds. */
export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: RequestCounts;
  metadata: Record<string, string> | null;
}

/** How a batch ends once its lines stop running. */
export type BatchOutcome = 'completed' | 'expired' | 'cancelled';

/** What is persisted: the public object plus what a runner needs to resume. */
export interface StoredBatch {
  batch: BatchObject;
  runtime: {
    /** Fencing token of the last runner that wrote this record (0 = written by the API at create). */
    fence: number;
    /** Set on entering finalizing, so a repeated finalize overwrites the same files instead of adding new ones. */
    outcome?: BatchOutcome;
    plannedOutputFileId?: string;
    plannedErrorFileId?: string;
  };
}

/** One line of the output file. */
export interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown };
  error: null;
}

/** One line of the error file. `response` is null when no engine answered. */
export interface ErrorLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string };
}

export type ResultLine = OutputLine | ErrorLine;

/** A validated input line. */
export interface BatchRequestLine {
  /** 1-based line number in the input file. */
  line: number;
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown> & { model: string };
}

/** `batch_` + the same time-sortable suffix as file ids: newest-first listing is a reverse sort. */
export const BATCH_ID_RE = /^batch_[0-9a-f]{28}$/;

export function isBatchId(id: string): boolean {
  return BATCH_ID_RE.test(id);
}

export function newBatchId(nowMs: number): string {
  return `batch_${sortableSuffix(nowMs)}`;
}

export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
