/**
 * The byte formats condasync reads and writes, each behind a small API that refuses hostile input
 * with a CodecError: bzip2, zstd, msgpack, tar and zip. No conda knowledge lives here.
 */
export * from './bzip2/index.ts';
export { CodecError, CodecErrorCode } from './errors.ts';
export { checkMemberPath, normaliseMemberPath } from './member-path.ts';
export * from './msgpack/index.ts';
export * from './tar/index.ts';
export * from './zip/index.ts';
export * from './zstd/index.ts';
