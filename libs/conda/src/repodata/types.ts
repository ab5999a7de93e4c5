/** Artifact format of a repodata entry: `packages` holds `.tar.bz2`, `packages.conda` holds `.conda`. */
export type ArtifactFormat = 'tar.bz2' | 'conda';

/** The two top-level repodata keys that hold records, mapped to the format they must contain. */
export const RecordSection = {
  packages: 'tar.bz2',
  'packages.conda': 'conda',
} as const satisfies Record<string, ArtifactFormat>;
export type RecordSectionKey = keyof typeof RecordSection;

/** File extension (with the dot) of each artifact format. */
export const ArtifactExtension = {
  'tar.bz2': '.tar.bz2',
  conda: '.conda',
} as const satisfies Record<ArtifactFormat, string>;

/**
 * One repodata record as upstream wrote it. Every key is kept verbatim (upstream hotfix patches live
 * in them); only the fields we validate are typed.
 */
export interface PackageRecordJson {
  name: string;
  version: string;
  build: string;
  build_number: number;
  size: number;
  md5?: string;
  sha256?: string;
  subdir?: string;
  depends?: string[] | null;
  constrains?: string[] | null;
  [key: string]: unknown;
}

/** One validated record with its filename (the key it had under `packages` or `packages.conda`). */
export interface RepodataEntry {
  filename: string;
  format: ArtifactFormat;
  record: PackageRecordJson;
}

/** Everything in a repodata document except its records. */
export interface RepodataHeader {
  /** `info` as upstream wrote it (`{}` when absent). `info.subdir`, when present, equals the expected subdir. */
  info: Record<string, unknown>;
  /** `repodata_version` (1 when absent; only 1 and 2 are accepted). */
  repodataVersion: number;
  /** `removed` filenames, in upstream order (`[]` when absent). */
  removed: string[];
  /** Unknown top-level keys (CEP 36: ignore them). `signatures` and `v3` are validated and dropped. */
  extra: Record<string, unknown>;
}
