export { decompressZstd } from './decompress-zstd.ts';
export { inspectZstdFrame, walkZstdFrames, type ZstdFrameInfo } from './frame-walker.ts';
export { compressZstdFrame, decompressZstdFrame, type ZstdFrameOptions } from './single-frame.ts';
