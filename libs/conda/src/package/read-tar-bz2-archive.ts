import { decompressBzip2, TarReader } from '@condasync/codecs';
import { archiveErrorFromCodec, describeArchive } from './archive-error.ts';
import { ArchiveInput } from './archive-input.ts';
import { collectInfoFiles } from './info-files.ts';
import {
  type ArchiveInfo,
  type ArchiveReadOptions,
  type ArchiveSource,
  resolveArchiveLimits,
} from './types.ts';

/**
 * Reads the info files of a `.tar.bz2` as a stream: decompression stops once index.json,
 * about.json, run_exports.json and paths.json have been seen (conda-build writes info/ first), and
 * the rest of the file is only hashed, so md5/sha256/size still cover every byte. Memory stays at
 * one bzip2 block whatever the archive size.
 */
export async function readTarBz2ArchiveInfo(
  source: ArchiveSource,
  options: ArchiveReadOptions = {},
): Promise<ArchiveInfo> {
  const limits = resolveArchiveLimits(options);
  const what = describeArchive(options.filename, '(.tar.bz2)');
  const input = new ArchiveInput(source, what, limits.maxArchiveBytes);
  const tar = new TarReader(decompressBzip2(input.chunks()), {
    maxEntries: limits.maxEntries,
    maxBytes: limits.maxInfoBytes,
  });
  try {
    const info = await collectInfoFiles(tar, what);
    await tar.close();
    await input.drain();
    return { ...info, ...input.digests() };
  } catch (error) {
    await tar.close();
    await input.close();
    throw archiveErrorFromCodec(what, error);
  }
}
