import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';

/** What re-hashing one stored file against its record found. */
export type StoredFileCheck =
  | { status: 'ok' }
  | { status: 'missing' }
  /** Other size, or bytes that hash to something else than the record says. */
  | { status: 'mismatch'; reason: string };

/** The fields of a record that identify its bytes. */
export interface ExpectedBytes {
  size: number;
  sha256?: string | undefined;
  md5?: string | undefined;
}

/**
 * Reads a stored file whole and compares its size and sha256 (md5 when the record has none) with
 * the record: the one re-hash behind `verify_checksum`, `sync --reset` and `condasync verify`.
 * Stored metadata (S3 checksums, the filesystem store's sidecars) is not trusted: it says what was
 * written, not what the disk holds now.
 */
export async function checkStoredFile(
  store: ObjectStore,
  key: string,
  expected: ExpectedBytes,
  signal?: AbortSignal,
): Promise<StoredFileCheck> {
  const object = await store.get(key);
  if (object === null) return { status: 'missing' };
  const algorithm = expected.sha256 !== undefined ? 'sha256' : expected.md5 !== undefined ? 'md5' : null;
  const hash = algorithm === null ? null : createHash(algorithm);
  let size = 0;
  try {
    for await (const chunk of object.body) {
      signal?.throwIfAborted();
      size += (chunk as Uint8Array).byteLength;
      hash?.update(chunk as Uint8Array);
    }
  } finally {
    object.body.destroy();
  }
  if (size !== expected.size) {
    return { status: 'mismatch', reason: `${size} bytes stored, ${expected.size} listed` };
  }
  if (hash === null || algorithm === null) return { status: 'ok' };
  const actual = hash.digest('hex');
  const wanted = algorithm === 'sha256' ? expected.sha256 : expected.md5;
  return actual === wanted
    ? { status: 'ok' }
    : { status: 'mismatch', reason: `${algorithm} ${actual} stored, ${wanted} listed` };
}
