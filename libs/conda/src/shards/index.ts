export {
  type DecodeShardOptions,
  decodeShard,
  decodeShardIndex,
  type ShardReadOptions,
  verifyShard,
} from './read-shards.ts';
export {
  assertShardName,
  MAX_SHARD_BYTES,
  MAX_SHARD_INDEX_BYTES,
  SHARD_FILE_SUFFIX,
  SHARD_INDEX_FILENAME,
  SHARD_INDEX_VERSION,
  type Shard,
  type ShardFile,
  type ShardIndex,
  type ShardIndexInfo,
  shardFilename,
} from './shard-model.ts';
export {
  type BuiltShards,
  buildShards,
  generateShards,
  type ShardHashEncoding,
  type ShardWriterOptions,
} from './write-shards.ts';
