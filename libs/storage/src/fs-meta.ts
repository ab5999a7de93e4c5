import type { BigIntStats } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectInfo } from './object-store.ts';

/**
 * What the filesystem store records beside each object (a small JSON "sidecar" under
 * `.condasync/fs-store/meta/<key>`): the sha256 verified at put time, and the identity of the file
 * it describes (inode, size, mtime in ns). rename() keeps inode and mtime, so a sidecar written
 * for the temp file stays valid for the published object, and a sidecar left over from a crash or
 * from an earlier version no longer matches and is ignored. No xattrs: Node has no API for them
 * and they do not survive every copy tool.
 */
interface SidecarRecord {
  v: 1;
  sha256: string;
  size: number;
  ino: string;
  mtimeNs: string;
  contentType?: string;
  cacheControl?: string;
}

export interface ObjectMetadata {
  sha256: string;
  contentType?: string;
  cacheControl?: string;
}

export function sidecarPath(metaDirectory: string, key: string): string {
  return join(metaDirectory, ...key.split('/'));
}

/**
 * The sidecar describing `file` (the verified temp file, before it is renamed into place). The
 * store writes it as the content of the key's lock file and releases the lock by renaming that
 * file to `sidecarPath(...)`: atomic, one rename, no temp file of its own. Not fsynced: losing it
 * only loses the sha256.
 */
export function sidecarJson(file: BigIntStats, metadata: ObjectMetadata): string {
  const record: SidecarRecord = {
    v: 1,
    sha256: metadata.sha256,
    size: Number(file.size),
    ino: file.ino.toString(),
    mtimeNs: file.mtimeNs.toString(),
    ...(metadata.contentType === undefined ? {} : { contentType: metadata.contentType }),
    ...(metadata.cacheControl === undefined ? {} : { cacheControl: metadata.cacheControl }),
  };
  return JSON.stringify(record);
}

/** The sidecar's metadata if it describes exactly `file`, else undefined (unknown sha256). */
export async function readSidecar(
  metaDirectory: string,
  key: string,
  file: BigIntStats,
): Promise<ObjectMetadata | undefined> {
  let record: Partial<SidecarRecord>;
  try {
    record = JSON.parse(await readFile(sidecarPath(metaDirectory, key), 'utf8')) as Partial<SidecarRecord>;
  } catch {
    // Missing (a file copied in by other tools), torn by a crash, or a directory: all mean "unknown".
    return undefined;
  }
  const matches =
    record.v === 1 &&
    typeof record.sha256 === 'string' &&
    record.size === Number(file.size) &&
    record.ino === file.ino.toString() &&
    record.mtimeNs === file.mtimeNs.toString();
  if (!matches) return undefined;
  return {
    sha256: record.sha256!,
    ...(typeof record.contentType === 'string' ? { contentType: record.contentType } : {}),
    ...(typeof record.cacheControl === 'string' ? { cacheControl: record.cacheControl } : {}),
  };
}

export async function removeSidecar(metaDirectory: string, key: string): Promise<void> {
  await unlink(sidecarPath(metaDirectory, key)).catch(() => {});
}

/**
 * ETag: the verified sha256 when the sidecar vouches for it (so re-publishing identical bytes keeps
 * the ETag and clients keep their cache, as S3's MD5 ETags do), else the file's identity, which
 * changes on every put because each put renames in a new inode.
 */
export function objectInfo(key: string, file: BigIntStats, metadata: ObjectMetadata | undefined): ObjectInfo {
  const etag =
    metadata === undefined
      ? `"${file.size.toString(16)}-${file.mtimeNs.toString(16)}-${file.ino.toString(16)}"`
      : `"${metadata.sha256}"`;
  return {
    key,
    size: Number(file.size),
    etag,
    lastModified: new Date(Number(file.mtimeMs)),
    ...(metadata === undefined ? {} : metadata),
  };
}
