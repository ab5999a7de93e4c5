export {
  Bzip2Encoder,
  type Bzip2Options,
  compressBzip2,
  compressBzip2Sync,
  DEFAULT_BZIP2_LEVEL,
} from './compress-bzip2.ts';
export { decompressBzip2 } from './decompress-bzip2.ts';
