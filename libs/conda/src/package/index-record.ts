import type { PackageRecordJson } from '../repodata/types.ts';
import {
  artifactFormatOf,
  assertArtifactFilename,
  validateRepodataEntry,
} from '../repodata/validate-record.ts';
import { readCondaArchiveInfo } from './read-conda-archive.ts';
import { readTarBz2ArchiveInfo } from './read-tar-bz2-archive.ts';
import type { ArchiveDigests, ArchiveInfo, ArchiveReadOptions, ArchiveSource } from './types.ts';

/**
 * index.json keys conda-index leaves out of repodata records (`cache.py`
 * `extract_to_cache_unconditional`): deprecated or build-machine details clients never read.
 */
export const INDEX_JSON_DROPPED_KEYS: readonly string[] = [
  'arch',
  'has_prefix',
  'mtime',
  'platform',
  'ucs',
  'requires_features',
  'binstar',
  'target-triplet',
  'machine',
  'operatingsystem',
];
const DROPPED = new Set(INDEX_JSON_DROPPED_KEYS);

/** Reads a package's info files with the reader its extension calls for. */
export function readArchiveInfo(
  filename: string,
  archive: ArchiveSource,
  options: Omit<ArchiveReadOptions, 'filename'> = {},
): Promise<ArchiveInfo> {
  assertArtifactFilename(filename);
  const read = artifactFormatOf(filename) === 'conda' ? readCondaArchiveInfo : readTarBz2ArchiveInfo;
  return read(archive, { ...options, filename });
}

/**
 * conda-index's record: index.json without the dropped keys, every other key verbatim (no
 * `depends: []` or `timestamp` is made up), then md5, sha256 and size of the archive file.
 */
export function recordFromIndexJson(
  indexJson: Readonly<Record<string, unknown>>,
  digests: ArchiveDigests,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(indexJson)) {
    // defineProperty: an own "__proto__" key from JSON stays a plain key, never a prototype.
    if (!DROPPED.has(key))
      Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  }
  record.md5 = digests.md5;
  record.sha256 = digests.sha256;
  record.size = digests.size;
  return record;
}

export interface IndexRecord {
  filename: string;
  record: PackageRecordJson;
}

/**
 * Builds the repodata record of a package file as conda-index does, reading only its info files
 * and hashing every byte. The record must name the file (`<name>-<version>-<build>`, else
 * INVALID_FILENAME) and belong to `subdir` (else SUBDIR_MISMATCH; a record without `subdir`, as
 * in very old packages, is kept without one). Archive problems throw INVALID_RECORD or
 * LIMIT_EXCEEDED naming the file.
 */
export async function buildIndexRecord(
  filename: string,
  archive: ArchiveSource,
  subdir: string,
  options: Omit<ArchiveReadOptions, 'filename'> = {},
): Promise<IndexRecord> {
  const info = await readArchiveInfo(filename, archive, options);
  const record = recordFromIndexJson(info.indexJson, info);
  const format = artifactFormatOf(filename)!;
  return { filename, record: validateRepodataEntry(filename, format, record, subdir).record };
}
