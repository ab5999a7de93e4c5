import type { ServedKind } from '../../plugins/metrics.ts';

/*
 * What the server does with each channel file: which names it serves at all, and the caching,
 * content type and compression each kind gets (channel-format.md §4.7).
 */

/** Channel and subdir names: what dest_channel allows (no '/', no leading '.', so no '..' and no '.condasync'). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** Package, metadata and shard file names: conda filenames use these characters only. */
const FILENAME = /^[A-Za-z0-9_][A-Za-z0-9._+!-]{0,254}$/;
const SHARD_FILE = /^[0-9a-f]{64}\.msgpack\.zst$/;
const PACKAGE_FILE = /\.(conda|tar\.bz2)$/;
const REPODATA_FILE =
  /^(?:(?:current_)?repodata(?:_from_packages)?\.json(?:\.zst|\.bz2)?|repodata_shards\.msgpack\.zst|channeldata\.json|run_exports\.json(?:\.zst)?)$/;

/** Internal state of the mirror lives here; it is never served, whatever the URL. */
const INTERNAL_PREFIX = '.condasync/';

export interface ChannelFilePath {
  channel: string;
  /** Absent for channel-level files such as channeldata.json. */
  subdir?: string | undefined;
  /** True for `<subdir>/shards/<sha256>.msgpack.zst`. */
  inShardsFolder?: boolean | undefined;
  file: string;
}

export interface FilePolicy {
  key: string;
  kind: ServedKind;
  contentType: string;
  cacheControl: string;
  /** Only `.json` may be gzipped on the wire; `.zst`, shards and packages never get a Content-Encoding. */
  gzippable: boolean;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

function contentTypeOf(file: string): string {
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.zst')) return 'application/zstd';
  // What conda.anaconda.org sends for v1 packages; clients decide by file name, not by type.
  if (file.endsWith('.tar.bz2')) return 'application/x-tar';
  if (file.endsWith('.bz2')) return 'application/x-bzip2';
  // Anything else (index.html included) is served as bytes: never rendered on the API's origin.
  return 'application/octet-stream';
}

/**
 * The storage key and serving policy of a channel file, or null when the path names no servable
 * file (traversal attempts, odd characters, internal keys): the caller answers 404.
 */
export function channelFilePolicy(path: ChannelFilePath, repodataMaxAge: number): FilePolicy | null {
  const { channel, subdir, file } = path;
  if (!SEGMENT.test(channel) || (subdir !== undefined && !SEGMENT.test(subdir))) return null;
  if (!FILENAME.test(file) || file.includes('..')) return null;
  if (path.inShardsFolder && (subdir === undefined || !SHARD_FILE.test(file))) return null;
  const key = [channel, subdir, path.inShardsFolder ? 'shards' : undefined, file]
    .filter((part) => part !== undefined)
    .join('/');
  if (key.startsWith(INTERNAL_PREFIX)) return null;

  const shortLived = `public, max-age=${repodataMaxAge}`;
  let kind: ServedKind = 'other';
  let cacheControl = shortLived;
  if (subdir !== undefined && PACKAGE_FILE.test(file)) {
    kind = 'package';
    cacheControl = IMMUTABLE;
  } else if (subdir !== undefined && SHARD_FILE.test(file)) {
    // Content-addressed (named by the sha256 of their bytes): they can never change.
    kind = 'shard';
    cacheControl = IMMUTABLE;
  } else if (REPODATA_FILE.test(file)) {
    kind = 'repodata';
  }
  return { key, kind, contentType: contentTypeOf(file), cacheControl, gzippable: file.endsWith('.json') };
}
