import { MirrorError, MirrorErrorCode } from '../errors.ts';

/**
 * The first member of every bundle. First, not last, so an importer knows the size and sha256 of
 * each member before its bytes arrive: it verifies while it streams, holding nothing in memory,
 * and a delta on the wrong base is refused before any byte is written. The exporter can put it
 * first because every size and sha256 is known from the store before streaming starts.
 */
export const BUNDLE_MANIFEST = 'condasync-bundle.json';

export interface BundleMember {
  /** Relative to the channel's root: `linux-64/repodata.json`, `noarch/x-1-0.conda`, `channeldata.json`. */
  path: string;
  size: number;
  sha256: string;
}

export interface BundleManifest {
  format: 'condasync-bundle';
  version: 1;
  /** full: the whole channel; delta: the changes of one sync on top of `base`. */
  kind: 'full' | 'delta';
  created: string;
  /** Where the bundle was written from: the store (no secrets) and the channel in it. */
  source: { store: string; channel: string };
  /**
   * delta only: per subdir, the sha256 of the repodata.json the changes were made on top of (null
   * when the subdir had none). An importer refuses the delta unless its destination publishes
   * exactly these.
   */
  base?: Record<string, string | null>;
  members: BundleMember[];
  /** delta only: files the sync deleted (their grace period was over); removed after publication. */
  deletions: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

function invalid(problem: string): MirrorError {
  return new MirrorError(
    MirrorErrorCode.BundleInvalid,
    `bad bundle manifest ${BUNDLE_MANIFEST}: ${problem}`,
    {
      details: [{ path: BUNDLE_MANIFEST, message: problem }],
    },
  );
}

/** Parses and checks a manifest: every field typed, every path a safe relative path, no duplicates. */
export function parseBundleManifest(bytes: Uint8Array): BundleManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw invalid(`not JSON (${(error as Error).message})`);
  }
  const m = doc as Partial<BundleManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== 'condasync-bundle')
    throw invalid('not a condasync bundle manifest (format must be "condasync-bundle")');
  if (m.version !== 1) throw invalid(`version ${String(m.version)} is not supported (expected 1)`);
  if (m.kind !== 'full' && m.kind !== 'delta') throw invalid(`kind ${String(m.kind)} is not full or delta`);
  if (!Array.isArray(m.members)) throw invalid('members is not a list');
  const seen = new Set<string>();
  for (const member of m.members) {
    if (typeof member?.path !== 'string' || !isChannelPath(member.path))
      throw invalid(`member path ${JSON.stringify(member?.path)} is not a path inside a channel`);
    if (!Number.isSafeInteger(member.size) || member.size < 0)
      throw invalid(`member ${member.path} has no valid size`);
    if (typeof member.sha256 !== 'string' || !SHA256.test(member.sha256))
      throw invalid(`member ${member.path} has no valid sha256`);
    if (seen.has(member.path)) throw invalid(`member ${member.path} is listed twice`);
    seen.add(member.path);
  }
  const deletions = m.deletions ?? [];
  if (!Array.isArray(deletions) || !deletions.every((d) => typeof d === 'string' && isChannelPath(d)))
    throw invalid('deletions is not a list of paths inside a channel');
  if (m.kind === 'delta') {
    const base = m.base;
    if (base === null || typeof base !== 'object' || Array.isArray(base))
      throw invalid('a delta needs base: {subdir: sha256 of its repodata.json or null}');
    for (const [subdir, sha] of Object.entries(base)) {
      if (!/^[A-Za-z0-9_-]+$/.test(subdir) || (sha !== null && !SHA256.test(String(sha))))
        throw invalid(`base entry ${subdir}: ${String(sha)} is not a subdir and a sha256 or null`);
    }
  }
  return { ...(m as BundleManifest), deletions };
}

/** Relative, no `..`, no internal state: a bundle only ever carries what a client could fetch. */
export function isChannelPath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return false;
  return !segments[0]!.startsWith('.');
}

export function encodeBundleManifest(manifest: BundleManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`);
}
