import { mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageError, StorageErrorCode } from './errors.ts';

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function pathConflict(key: string, cause: unknown): StorageError {
  return new StorageError(
    StorageErrorCode.Backend,
    `key "${key}" cannot be stored on the filesystem: a path segment of it is an existing object, or it ` +
      'is a folder holding other keys (a path cannot be both a file and a folder)',
    { cause, key },
  );
}

/**
 * rename() that creates missing parent folders and removes an empty folder left at the target.
 * Retries because a concurrent delete may prune a just-created empty parent folder.
 */
export async function renameIntoPlace(from: string, to: string, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = errorCode(error);
      if (attempt >= 5 || (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTEMPTY')) {
        throw code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENOTEMPTY'
          ? pathConflict(key, error)
          : error;
      }
      if (code === 'ENOENT') {
        await mkdir(dirname(to), { recursive: true }).catch((mkdirError: unknown) => {
          throw errorCode(mkdirError) === 'ENOTDIR' || errorCode(mkdirError) === 'EEXIST'
            ? pathConflict(key, mkdirError)
            : mkdirError;
        });
      } else {
        await rmdir(to).catch((rmdirError: unknown) => {
          throw pathConflict(key, rmdirError);
        });
      }
    }
  }
}

/** fsync of a file, or of a folder to make a rename in it durable. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems (and some network mounts) refuse fsync on a directory; the data file itself
    // was fsynced already, so there is nothing better to do than carry on.
    if (errorCode(error) !== 'EINVAL' && errorCode(error) !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Directory fsyncs shared between puts into the same folder ("group commit"). A put must not
 * return before an fsync of its folder that *began after* its rename has finished. A caller that
 * finds an fsync in flight (which may have begun before its rename) joins the single fsync queued
 * behind it, so 16 concurrent puts into `linux-64/` cost a few fsyncs instead of 16.
 */
export class DirectorySync {
  readonly #flights = new Map<string, { current: Promise<void>; next: Promise<void> | undefined }>();
  readonly #fsync: (directory: string) => Promise<void>;

  constructor(fsync: (directory: string) => Promise<void> = fsyncPath) {
    this.#fsync = fsync;
  }

  sync(directory: string): Promise<void> {
    const flight = this.#flights.get(directory);
    if (flight === undefined) return this.#launch(directory);
    flight.next ??= flight.current.then(
      () => this.#launch(directory),
      () => this.#launch(directory),
    );
    return flight.next;
  }

  #launch(directory: string): Promise<void> {
    const flight = { current: this.#fsync(directory), next: undefined };
    this.#flights.set(directory, flight);
    const forget = () => {
      if (this.#flights.get(directory) === flight) this.#flights.delete(directory);
    };
    flight.current.then(forget, forget);
    return flight.current;
  }
}

/** Removes now-empty folders from `path`'s parent up to (not including) `stopAt`. */
export async function pruneEmptyParents(path: string, stopAt: string): Promise<void> {
  for (let directory = dirname(path); directory.startsWith(`${stopAt}/`); directory = dirname(directory)) {
    try {
      await rmdir(directory);
    } catch {
      return; // not empty (the usual case), or already gone
    }
  }
}

/** Deletes files in `directory` older than `olderThanMs`: temp files of crashed writers. */
export async function sweepStaleFiles(directory: string, olderThanMs: number): Promise<void> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const cutoff = Date.now() - olderThanMs;
  await Promise.all(
    names.map(async (name) => {
      const path = join(directory, name);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile() && info.mtimeMs < cutoff) await unlink(path).catch(() => {});
    }),
  );
}
