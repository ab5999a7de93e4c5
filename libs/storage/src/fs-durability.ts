import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type ObjectMetadata, sidecarJson, sidecarPath } from './fs-meta.ts';
import { errorCode, fsyncPath, renameIntoPlace } from './fs-paths.ts';

/** An object renamed into place whose bytes may not be on disk yet, and what it was verified as. */
interface PendingObject {
  file: BigIntStats;
  metadata: ObjectMetadata;
}

export interface GroupCommitOptions {
  root: string;
  /** `.condasync/fs-store/pending`: sidecars of objects not yet known durable. */
  pendingDirectory: string;
  /** `.condasync/fs-store/meta`: sidecars of durable objects (the ones a store trusts). */
  metaDirectory: string;
  /** Where a pending sidecar is written before it is renamed into `pendingDirectory`. */
  tmpDirectory: string;
  /** A barrier starts by itself once this many objects are pending... */
  maxPendingObjects: number;
  /** ...or once the oldest pending object has waited this long, so a long sync's progress survives a crash. */
  maxPendingMs: number;
}

const execFileAsync = promisify(execFile);

/**
 * Makes everything written to `root`'s filesystem durable, by every process: `sync -f`, i.e.
 * syncfs(2), which Node does not expose. One call flushes thousands of small files for about the
 * price of one fsync, where an fsync per file costs a journal commit each.
 */
export async function syncFilesystem(root: string): Promise<void> {
  await execFileAsync('sync', ['-f', root]);
}

/**
 * Makes every write to `root`'s filesystem durable (syncFilesystem). Without coreutils `sync` (a
 * minimal container) it fsyncs `objects` and their folders instead, which covers this store's own
 * writes but not other processes'.
 */
export async function makeDurable(root: string, objects: readonly string[]): Promise<void> {
  try {
    await syncFilesystem(root);
    return;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  const paths = new Set<string>();
  for (const path of objects) paths.add(path).add(dirname(path));
  await Promise.all(
    [...paths].map((path) =>
      fsyncPath(path).catch((error: unknown) => {
        // Deleted since its put: nothing left to make durable.
        if (errorCode(error) !== 'ENOENT') throw error;
      }),
    ),
  );
}

/**
 * Group commit for the filesystem store (docs/design.md §5, invariant 2). A put renames its
 * verified temp file into place at once (other processes see it, as before) but does not fsync it;
 * its sidecar, the record that makes the store trust the object's sha256, goes to
 * `pending/<key>` instead of `meta/<key>`. A barrier (`flush`) syncs the filesystem once for the
 * whole batch and only then moves the batch's sidecars to `meta/`, so a trusted sidecar never
 * describes bytes that a power cut could still take away. The pending sidecar is written before
 * the object's rename, so a crash leaves one for every object that might be torn, and the next
 * store on this folder re-hashes those objects (fs-recover.ts).
 *
 * Within this process a pending object is trusted already: it was verified on the way in, and
 * whatever this process publishes goes through a barrier first.
 */
export class GroupCommit {
  readonly #options: GroupCommitOptions;
  #pending = new Map<string, PendingObject>();
  #committing = new Map<string, PendingObject>();
  readonly #staging = new Map<string, Promise<void>>();
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;

  constructor(options: GroupCommitOptions) {
    this.#options = options;
  }

  /** Metadata of an object this process wrote and verified, if `file` is still that object. */
  metadataOf(key: string, file: BigIntStats): ObjectMetadata | undefined {
    const pending = this.#pending.get(key) ?? this.#committing.get(key);
    if (pending === undefined) return undefined;
    const same =
      pending.file.ino === file.ino &&
      pending.file.size === file.size &&
      pending.file.mtimeNs === file.mtimeNs;
    return same ? pending.metadata : undefined;
  }

  isPending(key: string): boolean {
    return this.#pending.has(key) || this.#committing.has(key);
  }

  get pendingCount(): number {
    return this.#pending.size + this.#committing.size;
  }

  /**
   * Records `file` (the verified temp file) as pending and runs `rename` to put it in place. Puts
   * of one key are staged one at a time, and a key still waiting for a barrier is committed first:
   * its pending sidecar must not be replaced by one describing bytes the barrier did not cover.
   * No lock file: sidecars name the inode they describe, so a put racing another process's put or
   * delete of the same key can leave an object untrusted, never trusted with other bytes.
   */
  async stage(
    key: string,
    file: BigIntStats,
    metadata: ObjectMetadata,
    rename: () => Promise<void>,
  ): Promise<void> {
    const previous = this.#staging.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.#stageNow(key, file, metadata, rename));
    const tail = mine.catch(() => {});
    this.#staging.set(key, tail);
    try {
      await mine;
    } finally {
      if (this.#staging.get(key) === tail) this.#staging.delete(key);
    }
  }

  async #stageNow(
    key: string,
    file: BigIntStats,
    metadata: ObjectMetadata,
    rename: () => Promise<void>,
  ): Promise<void> {
    if (this.isPending(key)) await this.flush();
    const temporary = join(this.#options.tmpDirectory, randomUUID());
    await writeFile(temporary, sidecarJson(file, metadata));
    await renameIntoPlace(temporary, sidecarPath(this.#options.pendingDirectory, key), key);
    await rename();
    if (this.#pending.size === 0) this.#armTimer();
    this.#pending.set(key, { file, metadata });
    if (this.#pending.size >= this.#options.maxPendingObjects) this.#schedule();
  }

  /**
   * The barrier: once it resolves, every object written to this filesystem before the call (by any
   * process) is durable, and the objects this store staged are trusted (their sidecars are in
   * `meta/`). Runs even with nothing staged here, because a finalizer publishes files that other
   * processes wrote. Concurrent calls queue; each waits for a sync that began after it was called.
   */
  flush(): Promise<void> {
    const commit = this.#chain.then(() => this.#commit());
    this.#chain = commit.catch(() => {});
    return commit;
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#schedule(), this.#options.maxPendingMs);
    // A pending barrier must not keep a finished CLI process alive; close() runs the last one.
    this.#timer.unref();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A failed automatic barrier leaves its objects pending: the next barrier retries and throws.
    this.flush().catch(() => {});
  }

  async #commit(): Promise<void> {
    this.#scheduled = false;
    clearTimeout(this.#timer);
    const batch = this.#pending;
    this.#pending = new Map();
    this.#committing = batch;
    try {
      await this.#syncEverything(batch);
      const { pendingDirectory, metaDirectory } = this.#options;
      await Promise.all(
        [...batch.keys()].map((key) =>
          renameIntoPlace(sidecarPath(pendingDirectory, key), sidecarPath(metaDirectory, key), key).catch(
            (error: unknown) => {
              // Gone: a fresh store's recovery promoted or dropped it. The object stays untrusted.
              if (errorCode(error) !== 'ENOENT') throw error;
            },
          ),
        ),
      );
    } catch (error) {
      for (const [key, pending] of batch) if (!this.#pending.has(key)) this.#pending.set(key, pending);
      if (this.#pending.size > 0) this.#armTimer();
      throw error;
    } finally {
      this.#committing = new Map();
    }
  }

  async #syncEverything(batch: Map<string, PendingObject>): Promise<void> {
    await makeDurable(
      this.#options.root,
      [...batch.keys()].map((key) => join(this.#options.root, key)),
    );
  }

  /** Stops the timer; the caller runs a last barrier first if it wants one. */
  stop(): void {
    clearTimeout(this.#timer);
  }
}
