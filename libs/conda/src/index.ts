/** Pure conda channel logic: repodata model, versions, MatchSpec, filters. No I/O beyond given streams. */
export * from './bzip2/index.ts';
export * from './errors.ts';
export * from './filter/index.ts';
export * from './matchspec/index.ts';
export * from './package/index.ts';
export * from './patch/index.ts';
export * from './repodata/index.ts';
export * from './shards/index.ts';
export * from './version/index.ts';
