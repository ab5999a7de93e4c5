import { randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { copyFile, type FileHandle, link, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { abortedError, StorageError, StorageErrorCode, wrapBackendError } from './errors.ts';
import { GroupCommit } from './fs-durability.ts';
import { listFiles } from './fs-list.ts';
import { KeyLocks } from './fs-lock.ts';
import {
  type ObjectMetadata,
  objectInfo,
  readSidecar,
  removeSidecar,
  sidecarJson,
  sidecarPath,
} from './fs-meta.ts';
import { DirectorySync, errorCode, pruneEmptyParents, renameIntoPlace, sweepStaleFiles } from './fs-paths.ts';
import { recoverPendingObjects } from './fs-recover.ts';
import { timed } from './instrument.ts';
import { RESERVED_KEY_PREFIX, validateKey, validatePrefix } from './keys.ts';
import type {
  ConditionalPutOptions,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  OperationHook,
  PutBody,
  PutOptions,
} from './object-store.ts';
import {
  type Condition,
  checkCondition,
  checkPutOptions,
  checkRange,
  releaseBody,
  resolveRange,
  verifiedChunks,
  verifyBuffer,
} from './verified-body.ts';

export interface FsStoreOptions {
  /** Absolute path of the folder holding the objects; created when missing. */
  root: string;
  onOperation?: OperationHook;
  /** A key lock file older than this belongs to a crashed process and is broken. Default 10 s. */
  lockStaleMs?: number;
  /** How long a writer waits for a key lock before failing with BACKEND. Default 30 s. */
  lockTimeoutMs?: number;
  /**
   * Durability against power cuts (default true): puts are made durable in groups by `flush()`
   * (one sync of the filesystem per group) and trusted only after it; conditional puts fsync on
   * their own. false: nothing is synced and puts are trusted at once; a put still survives a killed
   * process (the page cache holds it) but not a power cut or kernel crash.
   */
  fsync?: boolean;
  /** A barrier runs by itself once this many puts wait for one (default 2000)... */
  maxPendingObjects?: number;
  /** ...or once the oldest has waited this long (default 10 s), so a long sync's progress survives a crash. */
  maxPendingMs?: number;
}

const STALE_TEMP_MS = 24 * 60 * 60 * 1000;
const READ_CHUNK_BYTES = 256 * 1024;

/** ETags are quoted in HTTP headers; callers may hand them over with or without the quotes. */
function unquoted(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength; ) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function statFile(path: string): Promise<BigIntStats | undefined> {
  try {
    const file = await stat(path, { bigint: true });
    return file.isFile() ? file : undefined;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Objects as files at `<root>/<key>`. A put streams into a temp file under
 * `<root>/.condasync/fs-store/tmp/` (same filesystem, so the final rename is atomic), hashes and
 * counts while writing, fsyncs, and renames into place only when size and sha256 match.
 */
export class FsObjectStore implements ObjectStore {
  readonly description: string;
  readonly #root: string;
  readonly #tmpDirectory: string;
  readonly #metaDirectory: string;
  readonly #pendingDirectory: string;
  readonly #locksDirectory: string;
  readonly #locks: KeyLocks;
  /** Deferred durability (docs/design.md §5, invariant 2); undefined with `fsync: false`. */
  readonly #groupCommit: GroupCommit | undefined;
  readonly #onOperation: OperationHook | undefined;
  readonly #fsync: boolean;
  readonly #directorySync = new DirectorySync();
  #ready: Promise<void> | undefined;
  #recovered: Promise<void> | undefined;

  constructor(options: FsStoreOptions) {
    if (typeof options.root !== 'string' || !isAbsolute(options.root)) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `filesystem store root must be an absolute path, got ${JSON.stringify(options.root)}`,
      );
    }
    this.#root = resolve(options.root);
    const internal = join(this.#root, ...RESERVED_KEY_PREFIX.split('/'));
    this.#tmpDirectory = join(internal, 'tmp');
    this.#metaDirectory = join(internal, 'meta');
    this.#pendingDirectory = join(internal, 'pending');
    this.#locksDirectory = join(internal, 'locks');
    this.#locks = new KeyLocks(this.#locksDirectory, {
      staleMs: options.lockStaleMs ?? 10_000,
      timeoutMs: options.lockTimeoutMs ?? 30_000,
    });
    this.#onOperation = options.onOperation;
    this.#fsync = options.fsync ?? true;
    this.#groupCommit = this.#fsync
      ? new GroupCommit({
          root: this.#root,
          pendingDirectory: this.#pendingDirectory,
          metaDirectory: this.#metaDirectory,
          tmpDirectory: this.#tmpDirectory,
          maxPendingObjects: positiveOption('maxPendingObjects', options.maxPendingObjects, 2000),
          maxPendingMs: positiveOption('maxPendingMs', options.maxPendingMs, 10_000),
        })
      : undefined;
    this.description = pathToFileURL(this.#root).href;
  }

  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.#tmpDirectory, { recursive: true });
      await mkdir(this.#metaDirectory, { recursive: true });
      await mkdir(this.#locksDirectory, { recursive: true });
      await sweepStaleFiles(this.#tmpDirectory, STALE_TEMP_MS);
      await this.#recover();
    })();
    // A failed preparation (say, a read-only mount) must be retried by the next call, not cached.
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  /**
   * Settles the puts of a store that died before their barrier (re-hashed, then trusted or
   * deleted: fs-recover.ts), once per store, before its first operation. Writers fail if it
   * fails; readers (a server on a read-only mount) go on without it.
   */
  #recover(): Promise<void> {
    if (this.#groupCommit === undefined) return Promise.resolve();
    this.#recovered ??= recoverPendingObjects({
      root: this.#root,
      pendingDirectory: this.#pendingDirectory,
      metaDirectory: this.#metaDirectory,
    }).then(() => {});
    this.#recovered.catch(() => {
      this.#recovered = undefined;
    });
    return this.#recovered;
  }

  async #recoverForReads(): Promise<void> {
    await this.#recover().catch(() => {});
  }

  async put(key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo> {
    validateKey(key);
    const sha256 = checkPutOptions(key, options);
    if (options.signal?.aborted) throw abortedError(key, 'put', options.signal);
    // An in-memory body is checked before any I/O; a stream is checked as it is written.
    if (body instanceof Uint8Array) verifyBuffer(key, body, options.size, sha256);
    const chunks =
      body instanceof Uint8Array ? [body] : verifiedChunks(key, body, options.size, sha256, options.signal);
    return timed(this.#onOperation, 'put', () =>
      this.#write(key, chunks, { metadata: metadataOf(sha256, options), signal: options.signal }).catch(
        (error: unknown) => {
          releaseBody(body);
          throw error;
        },
      ),
    );
  }

  async putConditional(key: string, body: Uint8Array, options: ConditionalPutOptions): Promise<ObjectInfo> {
    validateKey(key);
    const sha256 = checkPutOptions(key, options);
    const condition = checkCondition(key, options);
    verifyBuffer(key, body, options.size, sha256);
    if (options.signal?.aborted) throw abortedError(key, 'put', options.signal);
    // It is durable on return, so it must not overtake the puts before it (metadata listing them).
    await this.#flushPending();
    return timed(this.#onOperation, 'put_conditional', () =>
      this.#write(key, [body], { metadata: metadataOf(sha256, options), signal: options.signal, condition }),
    );
  }

  async #write(
    key: string,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    how: { metadata: ObjectMetadata; signal: AbortSignal | undefined; condition?: Condition },
  ): Promise<ObjectInfo> {
    const temporary = join(this.#tmpDirectory, randomUUID());
    // Plain puts wait for the next barrier; a conditional put is synced on its own, as before.
    const groupCommit = how.condition === undefined ? this.#groupCommit : undefined;
    let handle: FileHandle | undefined;
    try {
      await this.#prepare();
      handle = await open(temporary, 'wx');
      for await (const chunk of chunks) await writeAll(handle, chunk);
      if (this.#fsync && groupCommit === undefined) await handle.sync();
      const file = await handle.stat({ bigint: true });
      await handle.close();
      handle = undefined;
      if (how.signal?.aborted) throw abortedError(key, 'put', how.signal);
      const target = join(this.#root, key);
      if (groupCommit !== undefined) {
        await groupCommit.stage(key, file, how.metadata, () => renameIntoPlace(temporary, target, key));
        return objectInfo(key, file, how.metadata);
      }
      // The lock file carries the sidecar and becomes it on release: two renames publish object
      // and sha256 (a reader between them sees a sidecar for another inode: "sha256 unknown").
      await this.#locks.withLock(
        key,
        async (lock) => {
          if (how.condition !== undefined) await this.#checkCondition(key, how.condition);
          await renameIntoPlace(temporary, target, key);
          await lock.releaseInto(sidecarPath(this.#metaDirectory, key));
        },
        sidecarJson(file, how.metadata),
      );
      if (this.#fsync) await this.#directorySync.sync(dirname(target));
      return objectInfo(key, file, how.metadata);
    } catch (error) {
      await handle?.close().catch(() => {});
      await unlink(temporary).catch(() => {});
      throw wrapBackendError(error, 'put', key, this.description);
    }
  }

  async #checkCondition(key: string, condition: Condition): Promise<void> {
    const current = await this.#headUnchecked(key);
    const failed = (detail: string) =>
      new StorageError(StorageErrorCode.PreconditionFailed, `conditional put of key "${key}": ${detail}`, {
        key,
      });
    if ('ifNoneMatch' in condition) {
      if (current !== null) throw failed(`expected no object, found one with ETag ${current.etag}`);
    } else if (current === null) {
      throw failed(`expected ETag ${condition.ifMatch}, found no object`);
    } else if (unquoted(current.etag) !== unquoted(condition.ifMatch)) {
      throw failed(`expected ETag ${condition.ifMatch}, found ${current.etag}`);
    }
  }

  async #headUnchecked(key: string): Promise<ObjectInfo | null> {
    const file = await statFile(join(this.#root, key));
    if (file === undefined) return null;
    return objectInfo(key, file, await this.#metadataOf(key, file));
  }

  /** The verified sha256 (and headers) of `file`: from its sidecar, or from a put still pending here. */
  async #metadataOf(key: string, file: BigIntStats): Promise<ObjectMetadata | undefined> {
    return (await readSidecar(this.#metaDirectory, key, file)) ?? this.#groupCommit?.metadataOf(key, file);
  }

  /**
   * The durability barrier of ObjectStore: every put before it is durable once it resolves, and
   * trusted by any later store on this folder (docs/design.md §5, invariant 2).
   */
  async flush(): Promise<void> {
    if (this.#groupCommit === undefined) return;
    await timed(this.#onOperation, 'flush', async () => {
      try {
        await this.#prepare();
        await this.#groupCommit!.flush();
      } catch (error) {
        throw wrapBackendError(error, 'flush', this.#root, this.description);
      }
    });
  }

  /** A barrier only when this store has puts waiting: orders a delete or a synced put after them. */
  async #flushPending(): Promise<void> {
    if ((this.#groupCommit?.pendingCount ?? 0) > 0) await this.flush();
  }

  async head(key: string): Promise<ObjectInfo | null> {
    validateKey(key);
    return timed(this.#onOperation, 'head', async () => {
      try {
        await this.#recoverForReads();
        return await this.#headUnchecked(key);
      } catch (error) {
        throw wrapBackendError(error, 'head', key, this.description);
      }
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult | null> {
    validateKey(key);
    checkRange(key, options.range);
    if (options.signal?.aborted) throw abortedError(key, 'get', options.signal);
    return timed(this.#onOperation, 'get', async () => {
      let handle: FileHandle | undefined;
      try {
        await this.#recoverForReads();
        handle = await open(join(this.#root, key), 'r').catch((error: unknown) => {
          const code = errorCode(error);
          if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
          throw error;
        });
        if (handle === undefined) return null;
        // Everything below describes the open inode, so a concurrent put cannot mix versions.
        const file = await handle.stat({ bigint: true });
        if (!file.isFile()) {
          await handle.close();
          return null;
        }
        const info = objectInfo(key, file, await this.#metadataOf(key, file));
        const range = options.range === undefined ? undefined : resolveRange(key, options.range, info.size);
        const body = handle.createReadStream({
          autoClose: true,
          highWaterMark: READ_CHUNK_BYTES,
          ...(range ?? {}),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        handle = undefined; // the stream owns it now
        return { info, body };
      } catch (error) {
        await handle?.close().catch(() => {});
        throw wrapBackendError(error, 'get', key, this.description);
      }
    });
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
    validatePrefix(prefix);
    try {
      await this.#recoverForReads();
      yield* listFiles(
        {
          root: this.#root,
          metaDirectory: this.#metaDirectory,
          onOperation: this.#onOperation,
          sha256: options.sha256 ?? true,
          pendingMetadata: (key, file) => this.#groupCommit?.metadataOf(key, file),
        },
        prefix,
      );
    } catch (error) {
      throw wrapBackendError(error, 'list', prefix, this.description);
    }
  }

  async copy(fromKey: string, toKey: string): Promise<boolean> {
    validateKey(fromKey);
    validateKey(toKey);
    // The copy's sidecar goes straight to meta/: its source must be trusted on disk first.
    if (this.#groupCommit?.isPending(fromKey)) await this.flush();
    return timed(this.#onOperation, 'copy', async () => {
      const temporary = join(this.#tmpDirectory, randomUUID());
      try {
        await this.#prepare();
        // A hard link shares the inode, so the sidecar's identity check holds for the copy too, and
        // puts never modify a file in place (they rename a new one in), so the copy never changes.
        const source = join(this.#root, fromKey);
        try {
          await link(source, temporary);
        } catch {
          // Absent (or a folder of other keys), or a filesystem that refuses hard links.
          if ((await statFile(source)) === undefined) return false;
          await copyFile(source, temporary);
        }
        const file = await stat(temporary, { bigint: true });
        // Read after linking: the sidecar must describe the very inode we hold.
        const metadata = await readSidecar(this.#metaDirectory, fromKey, file);
        await this.#locks.withLock(
          toKey,
          async (lock) => {
            await renameIntoPlace(temporary, join(this.#root, toKey), toKey);
            if (metadata === undefined) await removeSidecar(this.#metaDirectory, toKey);
            else await lock.releaseInto(sidecarPath(this.#metaDirectory, toKey));
          },
          metadata === undefined ? undefined : sidecarJson(file, metadata),
        );
        if (this.#fsync) await this.#directorySync.sync(dirname(join(this.#root, toKey)));
        return true;
      } catch (error) {
        await unlink(temporary).catch(() => {});
        throw wrapBackendError(error, 'copy', toKey, this.description);
      }
    });
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    // A delete must not reach the disk before the writes that preceded it (invariant 4's order).
    await this.#flushPending();
    await timed(this.#onOperation, 'delete', async () => {
      const target = join(this.#root, key);
      try {
        await this.#locks.withLock(key, async () => {
          await unlink(target).catch((error: unknown) => {
            // EISDIR/EPERM: the key names a folder of other keys, so there is no object to delete.
            if (!['ENOENT', 'ENOTDIR', 'EISDIR', 'EPERM'].includes(errorCode(error) ?? '')) throw error;
          });
          await removeSidecar(this.#metaDirectory, key);
        });
        // S3 has no folders; pruning empty ones lets a later key reuse the path as a file.
        await pruneEmptyParents(target, this.#root);
        await pruneEmptyParents(join(this.#metaDirectory, key), this.#metaDirectory);
      } catch (error) {
        throw wrapBackendError(error, 'delete', key, this.description);
      }
    });
  }

  async close(): Promise<void> {
    // Nothing pooled (every operation closes its own file handles), but puts may await a barrier.
    await this.#flushPending();
    this.#groupCommit?.stop();
  }
}

function metadataOf(sha256: string, options: PutOptions): ObjectMetadata {
  return {
    sha256,
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    ...(options.cacheControl === undefined ? {} : { cacheControl: options.cacheControl }),
  };
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new StorageError(
      StorageErrorCode.InvalidArgument,
      `filesystem store option ${name} must be an integer >= 1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
