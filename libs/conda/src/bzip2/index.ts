export {
  Bzip2Encoder,
  type Bzip2Options,
  compressBzip2,
  compressBzip2Sync,
  DEFAULT_BZIP2_LEVEL,
} from './compress-bzip2.ts';
