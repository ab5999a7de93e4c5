import { compareFilenames } from '../repodata/canonical-json.ts';
import { copyJson, mergePatch, setOwn } from './merge-patch.ts';
import { parsePatchInstructions, type RecordPatch } from './patch-instructions.ts';

type RecordMap = Record<string, Record<string, unknown>>;

/** The parts of a repodata document that patches touch; other keys (info, ...) are carried over. */
export interface PatchableRepodata {
  packages?: RecordMap;
  'packages.conda'?: RecordMap;
  removed?: string[];
  [key: string]: unknown;
}

export type PatchedRepodata<T extends PatchableRepodata> = Omit<
  T,
  'packages' | 'packages.conda' | 'removed'
> & {
  packages: RecordMap;
  'packages.conda': RecordMap;
  removed: string[];
};

/** The dependency conda-index adds to a revoked record: nothing provides it, so nothing installs it. */
export const REVOKED_DEPENDENCY = 'package_has_been_revoked';

const TAR_BZ2 = '.tar.bz2';
const CONDA = '.conda';

/** The `.conda` name of a `.tar.bz2` filename; other names unchanged (as conda-index's `replace`). */
function condaTwin(filename: string): string {
  return filename.endsWith(TAR_BZ2) ? filename.slice(0, -TAR_BZ2.length) + CONDA : filename;
}

/**
 * One section's records. Records are copied when first patched (copy-on-write): untouched records
 * stay shared with the input, which is never modified. Keys are set with `setOwn` and looked up
 * with `Object.hasOwn`, so a "__proto__" filename is a plain key.
 */
class Section {
  readonly records: RecordMap = {};
  readonly #copied = new Set<string>();

  constructor(source: RecordMap | undefined) {
    if (source !== undefined)
      for (const [name, record] of Object.entries(source)) setOwn(this.records, name, record);
  }

  /** The record, copied on first write; undefined when the section has no such file. */
  writable(filename: string): Record<string, unknown> | undefined {
    if (!Object.hasOwn(this.records, filename)) return undefined;
    if (!this.#copied.has(filename)) {
      setOwn(this.records, filename, copyJson(this.records[filename]) as Record<string, unknown>);
      this.#copied.add(filename);
    }
    return this.records[filename];
  }

  delete(filename: string): boolean {
    if (!Object.hasOwn(this.records, filename)) return false;
    delete this.records[filename];
    return true;
  }
}

function applyPatches(
  section: Section,
  patches: Record<string, RecordPatch>,
  rename = (name: string) => name,
): void {
  for (const [filename, patch] of Object.entries(patches)) {
    const record = section.writable(rename(filename));
    if (record !== undefined) mergePatch(record, patch);
  }
}

function revoke(record: Record<string, unknown> | undefined): void {
  if (record === undefined) return;
  record.revoked = true;
  const depends = Array.isArray(record.depends) ? (record.depends as unknown[]) : [];
  // conda-index appends unconditionally (and fails when depends is missing); appending once keeps
  // re-applying the same instructions idempotent.
  if (!depends.includes(REVOKED_DEPENDENCY)) record.depends = [...depends, REVOKED_DEPENDENCY];
}

/**
 * Applies patch instructions the way conda-index (`_apply_instructions`) does, in its order:
 * 1. `packages` patches merge into the `.tar.bz2` records they name,
 * 2. the same patches merge into the `.conda` twins (`x.tar.bz2` → `x.conda`),
 * 3. `packages.conda` patches merge into `.conda` records, on top of step 2,
 * 4. `revoke`: the record (and a `.tar.bz2`'s `.conda` twin) gets `revoked: true` and the
 *    dependency `package_has_been_revoked`,
 * 5. `remove`: the record (and a `.tar.bz2`'s `.conda` twin) is deleted and its filename added to
 *    `removed`, which ends sorted and without duplicates.
 * Patches for files the repodata lacks are ignored. Pure: returns a new document; records no
 * patch touches are shared with the input. `instructions` is parsed JSON, checked by
 * `parsePatchInstructions` (INVALID_RECORD when malformed or of a version above 1).
 */
export function applyPatchInstructions<T extends PatchableRepodata>(
  repodata: T,
  instructions: unknown,
): PatchedRepodata<T> {
  const patch = parsePatchInstructions(instructions);
  const tarBz2 = new Section(repodata.packages);
  const conda = new Section(repodata['packages.conda']);
  const removed = new Set(repodata.removed ?? []);

  applyPatches(tarBz2, patch.packages ?? {});
  applyPatches(conda, patch.packages ?? {}, condaTwin);
  applyPatches(conda, patch['packages.conda'] ?? {});

  for (const filename of patch.revoke ?? []) {
    revoke(tarBz2.writable(filename));
    revoke(conda.writable(condaTwin(filename)));
  }
  for (const filename of patch.remove ?? []) {
    if (tarBz2.delete(filename)) removed.add(filename);
    const twin = condaTwin(filename);
    if (conda.delete(twin)) removed.add(twin);
  }

  return {
    ...repodata,
    packages: tarBz2.records,
    'packages.conda': conda.records,
    removed: [...removed].sort(compareFilenames),
  };
}
