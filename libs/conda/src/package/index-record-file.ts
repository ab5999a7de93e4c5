import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { artifactFormatOf } from '../repodata/validate-record.ts';
import { buildIndexRecord, type IndexRecord } from './index-record.ts';
import { DEFAULT_ARCHIVE_LIMITS } from './types.ts';

/**
 * Chunk size for streamed archives: a .tar.bz2 is hashed to the end after its info files are read,
 * and 1 MiB reads make a tenth of the calls 64 KiB ones would.
 */
const STREAM_CHUNK_BYTES = 1024 * 1024;

/**
 * `buildIndexRecord` on the archive file at `path`. A `.conda` is read whole in one call (its
 * reader buffers it anyway, the zip directory being at the end); one over the archive size limit,
 * and every `.tar.bz2`, is streamed.
 */
export async function buildIndexRecordFromFile(
  path: string,
  filename: string,
  subdir: string,
): Promise<IndexRecord> {
  if (artifactFormatOf(filename) === 'conda') {
    const { size } = await stat(path);
    if (size <= DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes) {
      return buildIndexRecord(filename, await readFile(path), subdir);
    }
  }
  return buildIndexRecord(filename, createReadStream(path, { highWaterMark: STREAM_CHUNK_BYTES }), subdir);
}
