import { compressZstdFrame, decodeMsgpack, decompressZstdFrame, encodeMsgpack } from '@condasync/codecs';
import {
  assertArtifactFilename,
  CondaError,
  decodeShard,
  MAX_SHARD_BYTES,
  type PackageRecordJson,
} from '@condasync/conda';
import { MirrorError, MirrorErrorCode } from '../errors.ts';

/** The records of one shard in repodata.json form, plus what was set aside. */
export interface ShardRecords {
  /** filename → record, both sections together (filenames carry the format). */
  records: Map<string, PackageRecordJson>;
  removed: string[];
  /** filename → the CEP 21 `run_exports` taken out of the record. */
  runExports: Map<string, unknown>;
}

const SECTIONS = ['packages', 'packages.conda'] as const;

/**
 * Decodes a verified shard of `packageName` with libs/conda. Records are validated as repodata.json
 * records are; as with repodata.json, a record that fails is reported through `onInvalid` and
 * skipped while the rest of the shard is kept. A shard that is not a well-formed shard at all is a
 * REPODATA_INVALID error. Unless `keepRunExports`, the CEP 21 per-record `run_exports` is moved out
 * of the record: repodata.json (conda-index) does not carry it, and the records must equal what
 * the full repodata.json lists.
 */
export function readShardRecords(
  bytes: Uint8Array,
  subdir: string,
  packageName: string,
  display: string,
  options: { keepRunExports: boolean; onInvalid: (error: CondaError) => void },
): ShardRecords {
  let sections: Array<Record<string, PackageRecordJson>>;
  let removed: string[];
  try {
    const shard = decodeShard(bytes, { subdir, packageName });
    sections = [shard.packages, shard['packages.conda']];
    removed = shard.removed ?? [];
  } catch (error) {
    if (!(error instanceof CondaError)) throw error;
    ({ sections, removed } = decodeRecordByRecord(bytes, subdir, packageName, display, options.onInvalid));
  }
  const out: ShardRecords = { records: new Map(), removed, runExports: new Map() };
  for (const section of sections) {
    for (const [filename, record] of Object.entries(section)) {
      if (!options.keepRunExports && 'run_exports' in record) {
        const { run_exports: runExports, ...rest } = record as PackageRecordJson & { run_exports: unknown };
        out.runExports.set(filename, runExports);
        out.records.set(filename, rest as PackageRecordJson);
      } else {
        out.records.set(filename, record);
      }
    }
  }
  return out;
}

/**
 * The slow path, taken only when `decodeShard` refused the shard: each record is wrapped in a
 * one-record shard and decoded alone, so one bad record costs only itself (as in repodata.json)
 * and the validation stays libs/conda's. Structural faults are still fatal.
 */
function decodeRecordByRecord(
  bytes: Uint8Array,
  subdir: string,
  packageName: string,
  display: string,
  onInvalid: (error: CondaError) => void,
): { sections: Array<Record<string, PackageRecordJson>>; removed: string[] } {
  const fail = (message: string, cause?: unknown): MirrorError =>
    new MirrorError(MirrorErrorCode.RepodataInvalid, `${display} (shard of "${packageName}"): ${message}`, {
      cause,
    });
  let document: unknown;
  try {
    document = decodeMsgpack(decompressZstdFrame(bytes, MAX_SHARD_BYTES, 'shard'));
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
  if (!isMap(document)) throw fail('not a map');
  const sections: Array<Record<string, PackageRecordJson>> = [];
  for (const section of SECTIONS) {
    const members = document[section];
    if (members === undefined && section === 'packages.conda') continue;
    if (!isMap(members)) throw fail(`"${section}" must be a map`);
    const kept: Record<string, PackageRecordJson> = {};
    for (const [filename, record] of Object.entries(members)) {
      const single = { packages: {}, 'packages.conda': {}, [section]: { [filename]: record } };
      try {
        const decoded = decodeShard(compressZstdFrame(encodeMsgpack(single), { level: 1 }), {
          subdir,
          packageName,
        });
        Object.assign(kept, decoded.packages, decoded['packages.conda']);
      } catch (error) {
        if (!(error instanceof CondaError)) throw error;
        onInvalid(error);
      }
    }
    sections.push(kept);
  }
  const removed: string[] = [];
  if (Array.isArray(document.removed)) {
    for (const filename of document.removed) {
      try {
        assertArtifactFilename(filename);
        removed.push(filename as string);
      } catch (error) {
        if (!(error instanceof CondaError)) throw error;
        onInvalid(error);
      }
    }
  }
  return { sections, removed };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
