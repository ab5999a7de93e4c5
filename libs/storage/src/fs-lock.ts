import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, StorageErrorCode } from './errors.ts';
import { errorCode, renameIntoPlace } from './fs-paths.ts';

/** A lock being held, handed to the critical section. */
export interface HeldLock {
  /** Moves the lock file (and its content) to `target`, creating folders: releases the lock. */
  releaseInto(target: string): Promise<void>;
}

export interface KeyLockOptions {
  /** A lock file older than this is left over from a crashed process and may be broken. */
  staleMs: number;
  /** Give up waiting for a lock after this long (BACKEND error). */
  timeoutMs: number;
}

/**
 * Per-key mutual exclusion for the filesystem store, across async callers of one process (a
 * promise chain) and across processes on one host (an exclusive lock file, `open(..., 'wx')`).
 * The store holds it only around the "check current ETag, then rename into place" step, which
 * takes microseconds, so a lock file older than `staleMs` can only belong to a dead process.
 */
export class KeyLocks {
  readonly #directory: string;
  readonly #options: KeyLockOptions;
  readonly #tails = new Map<string, Promise<void>>();
  /** What a lock file says when the caller gives no content: who holds it, for a human looking. */
  readonly #owner = `${process.pid}@${hostname()}`;
  #ready: Promise<unknown> | undefined;

  constructor(directory: string, options: KeyLockOptions) {
    this.#directory = directory;
    this.#options = options;
  }

  /**
   * Runs `critical` while holding the lock on `key`. The lock file holds `content` (default: the
   * holder's pid and host); `critical` may release the lock by moving that file somewhere with
   * `lock.releaseInto(path)`, which publishes the content and frees the key in one rename (the
   * store uses it to write an object's sidecar without a file of its own). Otherwise the lock
   * file is removed when `critical` settles.
   */
  async withLock<T>(key: string, critical: (lock: HeldLock) => Promise<T>, content?: string): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    try {
      await previous;
      const lockPath = await this.#acquireFile(
        key,
        content ?? `${this.#owner} ${new Date().toISOString()}\n`,
      );
      let released = false;
      const held: HeldLock = {
        releaseInto: async (target) => {
          if (released) throw new Error(`the lock on key "${key}" was already released`);
          await renameIntoPlace(lockPath, target, key);
          released = true;
        },
      };
      try {
        return await critical(held);
      } finally {
        if (!released) await unlink(lockPath).catch(() => {});
      }
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  async #acquireFile(key: string, content: string): Promise<string> {
    this.#ready ??= mkdir(this.#directory, { recursive: true });
    await this.#ready;
    const lockPath = join(this.#directory, `${createHash('sha256').update(key).digest('hex')}.lock`);
    const deadline = Date.now() + this.#options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lockPath, 'wx');
        await handle.writeFile(content).finally(() => handle.close());
        return lockPath;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      await this.#breakIfStale(lockPath);
      if (Date.now() > deadline) {
        throw new StorageError(
          StorageErrorCode.Backend,
          `timed out after ${this.#options.timeoutMs} ms waiting for the lock on key "${key}" (${lockPath})`,
          { key },
        );
      }
      await sleep(Math.min(50, 1 + attempt) * (0.5 + Math.random()));
    }
  }

  async #breakIfStale(lockPath: string): Promise<void> {
    const observed = await stat(lockPath).catch(() => undefined);
    if (observed === undefined || Date.now() - observed.mtimeMs < this.#options.staleMs) return;
    // Rename, not unlink: only one breaker can move a given file, and the inode check below tells
    // whether what we moved is the stale lock we saw or a fresh one taken in between.
    const moved = `${lockPath}.stale-${randomUUID()}`;
    try {
      await rename(lockPath, moved);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    const movedStat = await stat(moved);
    if (movedStat.ino !== observed.ino) await link(moved, lockPath).catch(() => {});
    await unlink(moved).catch(() => {});
  }
}
