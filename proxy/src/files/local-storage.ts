import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir, isTempName, tempPathFor, writeJsonAtomic } from './atomic.js';
import {
  FileTooLargeError,
  isFileId,
  newFileId,
  type FileContent,
  type FileListPage,
  type FileListQuery,
  type FileMeta,
  type FileObject,
  type FileStorage,
  type StagedFile,
} from './storage.js';

export interface LocalFileStorageOptions {
  /** Root directory (fileStoragePath); files live in `<root>/files` as `<id>.bin` + `<id>.json`. */
  root: string;
  now?: () => number;
}

/**
 * Files on a local (or shared, e.g. NFS/RWX volume) filesystem. The `.json` metadata is the commit
 * point: bytes are renamed into place first, so a crash leaves at worst an invisible orphan `.bin`.
 */
export class LocalFileStorage implements FileStorage {
  readonly dir: string;
  private readonly now: () => number;
  private ready: Promise<void> | undefined;

  constructor(options: LocalFileStorageOptions) {
    this.dir = join(options.root, 'files');
    this.now = options.now ?? Date.now;
  }

  async stage(content: FileContent, options: { maxBytes?: number } = {}): Promise<StagedFile> {
    await this.ensureDir();
    const tmp = tempPathFor(join(this.dir, 'upload.bin'));
    const bytes = await writeStream(tmp, content, options.maxBytes);
    let settled = false;
    return {
      bytes,
      commit: async (meta) => {
        if (settled) throw new Error('staged file already committed or discarded');
        settled = true;
        try {
          return await this.publish(tmp, bytes, meta);
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
      },
      discard: async () => {
        settled = true;
        await rm(tmp, { force: true });
      },
    };
  }

  async create(content: FileContent, meta: FileMeta, options: { maxBytes?: number } = {}): Promise<FileObject> {
    const staged = await this.stage(content, options);
    return staged.commit(meta);
  }

  async get(id: string): Promise<FileObject | undefined> {
    if (!isFileId(id)) return undefined;
    try {
      return parseMeta(await readFile(this.metaPath(id), 'utf8'));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(query: FileListQuery): Promise<FileListPage> {
    const ids = (await this.ids()).sort();
    if (query.order === 'desc') ids.reverse();
    const start = query.after === undefined ? 0 : ids.findIndex((id) => (query.order === 'asc' ? id > query.after! : id < query.after!));
    const data: FileObject[] = [];
    if (start < 0) return { data, has_more: false };
    for (let i = start; i < ids.length; i++) {
      const file = await this.get(ids[i]!);
      if (!file || (query.purpose !== undefined && file.purpose !== query.purpose)) continue;
      if (data.length === query.limit) return { data, has_more: true };
      data.push(file);
    }
    return { data, has_more: false };
  }

  async openContent(id: string): Promise<Readable | undefined> {
    if (!(await this.get(id))) return undefined;
    // Open before returning so a concurrent delete after this point cannot turn into a broken stream.
    let handle;
    try {
      handle = await open(this.binPath(id), 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return handle.createReadStream();
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    // Metadata first: the file disappears at once, and the bytes can never outlive it visibly.
    await rm(this.metaPath(id), { force: true });
    await rm(this.binPath(id), { force: true });
    await fsyncDir(this.dir);
    return true;
  }

  /** Remove temp files and orphaned bytes older than `olderThanMs` (uploads may be in flight on other replicas). */
  async sweep(olderThanMs = 3_600_000): Promise<number> {
    await this.ensureDir();
    const cutoff = this.now() - olderThanMs;
    const names = await readdir(this.dir);
    const metas = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    let removed = 0;
    for (const name of names) {
      const orphan = name.endsWith('.bin') && !metas.has(name.slice(0, -4));
      if (!isTempName(name) && !orphan) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (!info || info.mtimeMs > cutoff) continue;
      await rm(join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  private async publish(tmp: string, bytes: number, meta: FileMeta): Promise<FileObject> {
    const id = meta.id ?? newFileId(this.now());
    if (!isFileId(id)) throw new Error(`invalid file id: ${id}`);
    const file: FileObject = {
      id,
      object: 'file',
      bytes,
      created_at: Math.floor(this.now() / 1000),
      filename: meta.filename,
      purpose: meta.purpose,
      status: 'processed',
    };
    await rename(tmp, this.binPath(id));
    await fsyncDir(this.dir);
    await writeJsonAtomic(this.metaPath(id), file);
    return file;
  }

  private async ids(): Promise<string[]> {
    await this.ensureDir();
    const names = await readdir(this.dir);
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter(isFileId);
  }

  private binPath(id: string): string {
    return join(this.dir, `${id}.bin`);
  }

  private metaPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }
}

/** Copy content into a new file at `path` with fsync; on any failure (including the size limit) remove it. */
async function writeStream(path: string, content: FileContent, maxBytes?: number): Promise<number> {
  const handle = await open(path, 'wx');
  let bytes = 0;
  // Generated content arrives as many small lines: coalesce them so each write is a useful size.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    await handle.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const chunk of chunks(content)) {
      bytes += chunk.byteLength;
      if (maxBytes !== undefined && bytes > maxBytes) throw new FileTooLargeError(maxBytes);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= 64 * 1024) await flush();
    }
    await flush();
    await handle.sync();
    await handle.close();
    return bytes;
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

async function* chunks(content: FileContent): AsyncIterable<Uint8Array> {
  if (typeof content === 'string') {
    yield Buffer.from(content);
    return;
  }
  if (content instanceof Uint8Array) {
    yield content;
    return;
  }
  for await (const chunk of content as AsyncIterable<string | Uint8Array>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
}

function parseMeta(text: string): FileObject {
  const raw = JSON.parse(text) as Partial<FileObject>;
  if (typeof raw.id !== 'string' || typeof raw.bytes !== 'number' || typeof raw.purpose !== 'string') {
    throw new Error('corrupt file metadata');
  }
  return raw as FileObject;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
