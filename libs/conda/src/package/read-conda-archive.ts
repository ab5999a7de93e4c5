import {
  decompressZstd,
  readZipDirectory,
  storedMemberData,
  TarReader,
  type ZipDirectory,
  type ZipEntry,
} from '@condasync/codecs';
import { archiveErrorFromCodec, describeArchive, invalidArchive } from './archive-error.ts';
import { ArchiveInput } from './archive-input.ts';
import { collectInfoFiles } from './info-files.ts';
import {
  type ArchiveInfo,
  type ArchiveReadOptions,
  type ArchiveSource,
  resolveArchiveLimits,
} from './types.ts';

const INFO_MEMBER = /^info-.+\.tar\.zst$/;

/**
 * The `info-<stem>.tar.zst` member. With the archive's filename it must be exactly that name (as
 * conda-package-streaming looks it up); without it, the one member shaped like it.
 */
function findInfoMember(directory: ZipDirectory, filename: string | undefined, what: string): ZipEntry {
  if (filename?.endsWith('.conda')) {
    const expected = `info-${filename.slice(0, -'.conda'.length)}.tar.zst`;
    const entry = directory.entries.find((candidate) => candidate.name === expected);
    if (entry === undefined) {
      const names = directory.entries.map((candidate) => candidate.name).join(', ');
      throw invalidArchive(what, `has no member "${expected}" (members: ${names})`);
    }
    return entry;
  }
  const candidates = directory.entries.filter((candidate) => INFO_MEMBER.test(candidate.name));
  if (candidates.length !== 1) {
    throw invalidArchive(what, `expected one "info-*.tar.zst" member, found ${candidates.length}`);
  }
  return candidates[0]!;
}

/**
 * Reads the info files of a `.conda` (a zip of STORED members) without touching the payload: the
 * central directory locates `info-<stem>.tar.zst`, which is checked (local header, bounds, CRC)
 * and decompressed with Node's zstd. md5/sha256/size cover the whole file. A stream source is
 * buffered up to `maxArchiveBytes` first, because the directory sits at the end of the zip.
 */
export async function readCondaArchiveInfo(
  source: ArchiveSource,
  options: ArchiveReadOptions = {},
): Promise<ArchiveInfo> {
  const limits = resolveArchiveLimits(options);
  const what = describeArchive(options.filename, '(.conda)');
  const input = new ArchiveInput(source, what, limits.maxArchiveBytes);
  let bytes: Uint8Array;
  try {
    bytes = await input.collect();
  } catch (error) {
    await input.close();
    throw error;
  }
  let tar: TarReader | undefined;
  try {
    const directory = readZipDirectory(bytes, limits.maxEntries);
    const member = findInfoMember(directory, options.filename, what);
    const data = storedMemberData(bytes, directory, member);
    tar = new TarReader(decompressZstd(data), {
      maxEntries: limits.maxEntries,
      maxBytes: limits.maxInfoBytes,
    });
    const info = await collectInfoFiles(tar, what);
    return { ...info, ...input.digests() };
  } catch (error) {
    throw archiveErrorFromCodec(what, error);
  } finally {
    await tar?.close();
  }
}
