import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * A file's purpose: OpenAI's (assistants, batch, fine-tune, vision, user_data, evals; batch_output
 * written by the router) or, as the reference router accepts, any other string (`unknown` when the
 * upload names none).
 */
export type FilePurpose = string;
/** Longest purpose string kept. */
export const MAX_PURPOSE_CHARS = 256;

/** The OpenAI file object. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  /** Unix seconds. */
  created_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
}

export interface FileListQuery {
  purpose?: string;
  limit: number;
  /** Cursor: an id from a previous page; the page starts after it in the requested order. */
  after?: string;
  order: 'asc' | 'desc';
}

export interface FileListPage {
  data: FileObject[];
  has_more: boolean;
}

export type FileContent = Readable | AsyncIterable<string | Uint8Array> | string | Uint8Array;

export interface FileMeta {
  filename: string;
  purpose: FilePurpose;
  /** Reuse a known id (the batch runner plans its output ids so a retried finalize overwrites, not duplicates). */
  id?: string;
}

/** Bytes written to storage but not yet visible as a file. */
export interface StagedFile {
  readonly bytes: number;
  commit(meta: FileMeta): Promise<FileObject>;
  discard(): Promise<void>;
}

/**
 * Where uploaded and generated files live. Implementations must make a file visible atomically
 * (all bytes and its metadata, or nothing) and must be safe to share between proxy replicas.
 */
export interface FileStorage {
  /** Write bytes to a hidden place; throws FileTooLargeError (and leaves nothing behind) past maxBytes. */
  stage(content: FileContent, options?: { maxBytes?: number }): Promise<StagedFile>;
  create(content: FileContent, meta: FileMeta, options?: { maxBytes?: number }): Promise<FileObject>;
  get(id: string): Promise<FileObject | undefined>;
  list(query: FileListQuery): Promise<FileListPage>;
  /** The bytes as a stream; undefined when there is no such file. The caller must consume or destroy it. */
  openContent(id: string): Promise<Readable | undefined>;
  delete(id: string): Promise<boolean>;
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`File exceeds the limit of ${limit} bytes.`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * `file-` + 12 hex digits of milliseconds + 16 random hex digits: ids sort by creation time, which
 * gives list order and cursors for free, and the strict shape keeps ids from naming any other path.
 */
export const FILE_ID_RE = /^file-[0-9a-f]{28}$/;

export function isFileId(id: string): boolean {
  return FILE_ID_RE.test(id);
}

export function newFileId(nowMs: number = Date.now()): string {
  return `file-${sortableSuffix(nowMs)}`;
}

let lastMs = 0;

/**
 * Time-ordered 28 hex digits, shared by file and batch ids. Within one process the time part is
 * forced to increase, so ids made in the same millisecond still list in creation order.
 */
export function sortableSuffix(nowMs: number): string {
  lastMs = Math.max(Math.floor(nowMs), lastMs + 1);
  return lastMs.toString(16).padStart(12, '0').slice(-12) + randomBytes(8).toString('hex');
}

/** The creation time (ms) encoded in a sortable id suffix. */
export function suffixTimeMs(suffix: string): number {
  return Number.parseInt(suffix.slice(0, 12), 16);
}
