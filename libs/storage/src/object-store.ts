import type { Readable } from 'node:stream';

/** What a store knows about one object. */
export interface ObjectInfo {
  key: string;
  /** Full object size in bytes (also for range reads). */
  size: number;
  /** A quoted strong ETag, usable verbatim in an HTTP `ETag` header and in `ifMatch`. */
  etag: string;
  lastModified: Date;
  /** Lowercase hex sha256 of the whole object, when the store recorded it at put time. */
  sha256?: string;
  contentType?: string;
  cacheControl?: string;
}

export interface PutOptions {
  /** Exact number of bytes the body must have. */
  size: number;
  /** Expected sha256 of the body, 64 hex digits. */
  sha256: string;
  contentType?: string;
  cacheControl?: string;
  signal?: AbortSignal;
}

export type ConditionalPutOptions = PutOptions & ({ ifMatch: string } | { ifNoneMatch: '*' });

export interface ByteRange {
  start: number;
  /** Inclusive, like HTTP `Range: bytes=start-end`; clamped to the object's last byte. */
  end?: number;
}

export interface GetOptions {
  range?: ByteRange;
  signal?: AbortSignal;
}

export interface GetResult {
  info: ObjectInfo;
  /** The requested bytes. Consume or destroy it: an S3 body holds a pooled socket until then. */
  body: Readable;
}

export interface ListOptions {
  /**
   * false: leave `sha256` out when knowing it costs extra I/O per object (the filesystem store
   * reads a sidecar file for it, and without it gives the stat-based ETag it uses for files of
   * unknown hash). S3 listings never carry a sha256 either way. Default true.
   */
  sha256?: boolean;
}

export type PutBody = AsyncIterable<Uint8Array> | Uint8Array;

/**
 * One async interface over every backend (filesystem, S3). All keys are validated before any I/O.
 * Writes are all-or-nothing: an object is never visible with partial or unverified bytes.
 */
export interface ObjectStore {
  /** Where the store points, for logs, e.g. "file:///data/mirror" or "s3://bucket/prefix". No secrets. */
  readonly description: string;
  /**
   * Stores `body` at `key`. Nothing becomes visible (and a previous object at `key` stays intact)
   * unless exactly `size` bytes with that `sha256` arrived. Throws SIZE_MISMATCH,
   * CHECKSUM_MISMATCH, ABORTED, BACKEND.
   */
  put(key: string, body: PutBody, options: PutOptions): Promise<ObjectInfo>;
  /**
   * Like put, for small metadata objects, only if the object's current ETag is `ifMatch`, or only
   * if no object exists (`ifNoneMatch: '*'`). Throws PRECONDITION_FAILED when the condition fails;
   * of concurrent conditional writers at most one wins.
   */
  putConditional(key: string, body: Uint8Array, options: ConditionalPutOptions): Promise<ObjectInfo>;
  /** The object's bytes (or a range of them), or null when absent. Throws RANGE_NOT_SATISFIABLE. */
  get(key: string, options?: GetOptions): Promise<GetResult | null>;
  /** The object's info, or null when absent. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, in UTF-8 byte order of keys; pages internally. */
  list(prefix: string, options?: ListOptions): AsyncGenerator<ObjectInfo>;
  /**
   * Copies the object at `fromKey` to `toKey` inside the store, its bytes never passing through the
   * caller (S3 CopyObject, up to 5 GiB; a hard link on the filesystem), with its sha256, content type
   * and cache control. A previous object at `toKey` is replaced whole. False, and nothing written,
   * when `fromKey` is absent.
   */
  copy(fromKey: string, toKey: string): Promise<boolean>;
  /** Removes the object; an absent object is not an error. */
  delete(key: string): Promise<void>;
  /**
   * The durability barrier: once it resolves, every object put before the call survives a power
   * cut. Call it before publishing metadata that lists those objects (docs/design.md §5,
   * invariant 1). The filesystem store makes puts durable in groups here; S3 PUTs are durable when
   * they return, so it does nothing there. Throws BACKEND.
   */
  flush(): Promise<void>;
  /** Releases sockets and other resources; the store must not be used afterwards. */
  close(): Promise<void>;
}

export type OperationOutcome = 'ok' | 'error';

/**
 * Metrics hook: called once per backend operation with its duration in seconds. `op` is one of
 * put, put_conditional, get, head, list (once per page), copy, delete, flush. `get` is timed until the body
 * starts, not while it is consumed.
 */
export type OperationHook = (op: string, seconds: number, outcome: OperationOutcome) => void;
