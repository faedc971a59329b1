import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export type ConfigFileEvent<T> = { ok: true; config: T; text: string } | { ok: false; error: Error };

export interface ConfigFileWatcherOptions {
  /** Re-read at least this often, whatever fs.watch reports (default 1000 ms). */
  pollIntervalMs?: number;
  /** Wait this long after the last change notice before reading, so bursts read once (default 100 ms). */
  debounceMs?: number;
}

/**
 * Follows one config file and emits `update` with its parsed content whenever that changes, or with
 * an error when the file is missing, unreadable or invalid (then keep the last good config; the
 * watcher carries on). The file's directory is watched rather than the file, so an editor's
 * rename-over and the kubelet's `..data` symlink swap are both seen; polling by content hash covers
 * what fs.watch misses (network filesystems, symlinks into other directories).
 */
export class ConfigFileWatcher<T> extends EventEmitter<{ update: [ConfigFileEvent<T>] }> {
  private readonly dir: string;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private dirWatcher: FSWatcher | undefined;
  private dirIno: number | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private stopped = false;
  /** Identifies what was last reported, so an unchanged file (or the same error) is not re-emitted. */
  private lastReported: string | undefined;
  private good: T | undefined;

  constructor(
    readonly path: string,
    private readonly parse: (text: string) => T,
    options: ConfigFileWatcherOptions = {},
  ) {
    super();
    this.dir = dirname(path);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.debounceMs = options.debounceMs ?? 100;
  }

  /** The most recent config that parsed, if any. */
  get lastGood(): T | undefined {
    return this.good;
  }

  /** Start watching; resolves once the first read has been reported. */
  async start(): Promise<void> {
    if (this.pollTimer || this.stopped) return;
    this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
    await this.ensureDirWatch();
    await this.check();
  }

  /** Release every handle; no event is emitted afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    this.closeDirWatch();
    await this.reading;
  }

  private async poll(): Promise<void> {
    await this.ensureDirWatch();
    await this.check();
  }

  /** (Re)watch the directory; also after it was deleted and recreated (a new inode). */
  private async ensureDirWatch(): Promise<void> {
    const ino = await stat(this.dir).then((s) => s.ino, () => undefined);
    if (this.stopped || (this.dirWatcher && ino === this.dirIno)) return;
    this.closeDirWatch();
    if (ino === undefined) return; // no directory yet: polling keeps trying
    try {
      const watcher = watch(this.dir, { persistent: false }, () => this.scheduleCheck());
      watcher.on('error', () => this.closeDirWatch());
      this.dirWatcher = watcher;
      this.dirIno = ino;
    } catch {
      // Raced with a deletion, or out of inotify watches: polling still covers the file.
    }
  }

  private closeDirWatch(): void {
    this.dirWatcher?.close();
    this.dirWatcher = undefined;
    this.dirIno = undefined;
  }

  private scheduleCheck(): void {
    clearTimeout(this.debounceTimer);
    if (this.stopped) return;
    this.debounceTimer = setTimeout(() => void this.check(), this.debounceMs);
    this.debounceTimer.unref();
  }

  /** One read at a time; a request during a read triggers one more read, so the last content wins. */
  private check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.readAgain = false;
          await this.readOnce();
        } while (this.readAgain && !this.stopped);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why = code === 'ENOENT' ? 'does not exist (yet); waiting for it' : `cannot be read (${code})`;
      this.report(`missing:${code}`, { ok: false, error: new Error(`${this.path} ${why}`, { cause: err }) });
      return;
    }
    const hash = createHash('sha256').update(text).digest('hex');
    let config: T;
    try {
      config = this.parse(text);
    } catch (err) {
      this.report(`invalid:${hash}`, { ok: false, error: err instanceof Error ? err : new Error(String(err)) });
      return;
    }
    this.report(`ok:${hash}`, { ok: true, config, text });
  }

  private report(key: string, event: ConfigFileEvent<T>): void {
    if (this.stopped || key === this.lastReported) return;
    this.lastReported = key;
    if (event.ok) this.good = event.config;
    this.emit('update', event);
  }
}
