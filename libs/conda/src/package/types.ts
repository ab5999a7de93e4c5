/**
 * Archive bytes: the whole file in memory, or a stream of chunks (e.g. `fs.createReadStream(path)`
 * or an HTTP body). Streams are read once; the reader closes them when it stops early.
 */
export type ArchiveSource = AsyncIterable<Uint8Array> | Uint8Array;

/** Limits that keep a hostile archive from exhausting memory or CPU. */
export interface ArchiveReadOptions {
  /**
   * The archive's file name (`<name>-<version>-<build>.conda|.tar.bz2`). Errors name it, and a
   * `.conda` reader then takes exactly the member `info-<name>-<version>-<build>.tar.zst`.
   */
  filename?: string;
  /**
   * Most decompressed tar bytes the reader goes through to find the info files (default 256 MiB):
   * the whole info tarball of a `.conda`; for a `.tar.bz2`, everything up to the last info file
   * it needs, payload included when the payload comes first. Past it: LIMIT_EXCEEDED.
   */
  maxInfoBytes?: number;
  /** Most tar (or zip) entries the reader looks at (default 100 000). Past it: LIMIT_EXCEEDED. */
  maxEntries?: number;
  /**
   * Most archive (compressed) bytes read (default 2 GiB). A streamed `.conda` is buffered in
   * memory up to this size, because its info member is found through the zip central directory
   * at the end of the file; pass a Uint8Array to avoid the copy. A `.tar.bz2` is never buffered.
   */
  maxArchiveBytes?: number;
}

export const DEFAULT_ARCHIVE_LIMITS = {
  maxInfoBytes: 256 * 1024 * 1024,
  maxEntries: 100_000,
  maxArchiveBytes: 2 * 1024 * 1024 * 1024,
} as const;

export type ArchiveLimits = { -readonly [K in keyof typeof DEFAULT_ARCHIVE_LIMITS]: number };

/** The limits in force: each option, or its default when absent or undefined. */
export function resolveArchiveLimits(options: ArchiveReadOptions): ArchiveLimits {
  return {
    maxInfoBytes: options.maxInfoBytes ?? DEFAULT_ARCHIVE_LIMITS.maxInfoBytes,
    maxEntries: options.maxEntries ?? DEFAULT_ARCHIVE_LIMITS.maxEntries,
    maxArchiveBytes: options.maxArchiveBytes ?? DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes,
  };
}

/** Digests of the archive file exactly as read: what `md5`, `sha256` and `size` of a record describe. */
export interface ArchiveDigests {
  md5: string;
  sha256: string;
  size: number;
}

/** What the index needs from a package's `info/` folder, plus the archive's digests. */
export interface ArchiveInfo extends ArchiveDigests {
  /** `info/index.json`, parsed (an object). */
  indexJson: Record<string, unknown>;
  /** `info/about.json`, parsed, when the archive has one. */
  aboutJson?: Record<string, unknown>;
  /** `info/run_exports.json`, parsed (an object, or a list meaning `weak`), when present. */
  runExports?: Record<string, unknown> | unknown[];
  /** Size in bytes of `info/paths.json` (not read into memory), when present. */
  pathsJsonSize?: number;
}
