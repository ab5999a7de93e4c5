/**
 * Pure conda channel logic: repodata model, versions, MatchSpec, filters, shards, index records.
 * No I/O beyond given streams; the byte formats (bzip2, zstd, msgpack, tar, zip) are @condasync/codecs'.
 */
export * from './errors.ts';
export * from './filter/index.ts';
export * from './matchspec/index.ts';
export * from './package/index.ts';
export * from './patch/index.ts';
export * from './repodata/index.ts';
export * from './shards/index.ts';
export * from './version/index.ts';
