import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temp name in the same directory as `target`, so the final rename never crosses filesystems. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.tmp-${basename(target)}-${randomBytes(6).toString('hex')}`);
}

/** Temp files are named `.tmp-*`; sweepers use this to tell them from real entries. */
export function isTempName(name: string): boolean {
  return name.startsWith('.tmp-');
}

/**
 * Make a rename or unlink in `dir` durable. Some platforms refuse to fsync a directory;
 * there is nothing better to do there, so the error is ignored.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort: see above
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Write `data` so readers see either the old file or the whole new one, never a torn mix:
 * temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(target));
}

/** JSON convenience over writeFileAtomic. */
export function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  return writeFileAtomic(target, `${JSON.stringify(value)}\n`);
}

/**
 * Publish a complete file under `target` only if that name is free (link(2) fails on an existing
 * name), so racing writers get exactly one winner and readers never see a half-written file.
 * Returns false when the name was taken.
 */
export async function createExclusive(target: string, data: string | Uint8Array): Promise<boolean> {
  const tmp = tempPathFor(target);
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await link(tmp, target);
  } catch (err) {
    await handle.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncDir(dirname(target));
  return true;
}
