export {
  buildIndexRecord,
  INDEX_JSON_DROPPED_KEYS,
  type IndexRecord,
  readArchiveInfo,
  recordFromIndexJson,
} from './index-record.ts';
export { buildIndexRecordFromFile } from './index-record-file.ts';
export { IndexRecordPool } from './index-record-pool.ts';
export { readCondaArchiveInfo } from './read-conda-archive.ts';
export { readTarBz2ArchiveInfo } from './read-tar-bz2-archive.ts';
export {
  type ArchiveDigests,
  type ArchiveInfo,
  type ArchiveReadOptions,
  type ArchiveSource,
  DEFAULT_ARCHIVE_LIMITS,
} from './types.ts';
