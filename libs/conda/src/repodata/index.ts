export { canonicalJson, canonicalRecordJson, compareFilenames, toAsciiJson } from './canonical-json.ts';
export {
  type ParseRepodataOptions,
  parseRepodata,
  type RawRepodataRecord,
  readRepodata,
  scanRepodataRecords,
} from './parse-repodata.ts';
export {
  ArtifactExtension,
  type ArtifactFormat,
  type PackageRecordJson,
  RecordSection,
  type RecordSectionKey,
  type RepodataEntry,
  type RepodataHeader,
} from './types.ts';
export { artifactFormatOf, assertArtifactFilename, validateRepodataEntry } from './validate-record.ts';
export {
  type RepodataWriterEntry,
  type RepodataWriterInput,
  type WriteRepodataOptions,
  writeRepodata,
} from './write-repodata.ts';
export { compressZstd, createZstdCompressor, DEFAULT_ZSTD_LEVEL, type ZstdOptions } from './zstd.ts';
