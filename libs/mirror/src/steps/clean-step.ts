import { SHARD_FILE_SUFFIX } from '@condasync/conda';
import { dropOlderGenerations } from '../generations/record.ts';
import { cleanInstallers } from '../installers/installer-clean.ts';
import { DOWNLOADS_FOLDER } from '../installers/installer-layout.ts';
import { listedByRepodata, listedByShards, referencedShards } from './clean-published.ts';
import { SHARDS_FOLDER } from './finalize/shards.ts';
import { planStep } from './plan-step.ts';
import type { SyncRun } from './sync-run.ts';

/** One file `clean` deletes (or, in a dry run, would delete), relative to its subdir. */
export interface CleanFile {
  /** The subdir, or `downloads/<dir>` for an installer (relative to the store's root, not the channel). */
  subdir: string;
  /** `foo-1.0-0.conda`, or `shards/<sha256>.msgpack.zst` for a shard. */
  filename: string;
  kind: 'package' | 'shard' | 'installer';
  size: number;
}

export interface CleanReport {
  dryRun: boolean;
  /** Deleted (or, in a dry run, to delete), by subdir and filename. */
  files: CleanFile[];
  /** Their total size in bytes. */
  bytes: number;
  /**
   * Files the config no longer selects that published metadata still lists: never deleted. The
   * next sync publishes metadata without them; clean again after it.
   */
  keptListed: CleanFile[];
  /**
   * Selected files in the store that the published metadata does not list yet (a sync that has not
   * published them): kept, since the next sync publishes them without downloading them again.
   */
  keptUnpublished: number;
  seconds: number;
}

/**
 * The clean step (`condasync clean`, and the API's cleanup job): frees at once the space that a
 * sync would free only after the grace period (docs/design.md §5, invariant 4) — package files
 * the config no longer selects or upstream removed, and shard files the published shard index no
 * longer references. "Selected" is what the sync's own plan step computes, against upstream.
 * With `fetch_installers`, also the installers of folders `dir_names` dropped or upstream removed.
 * A file that any published repodata.json, current_repodata.json or referenced shard still lists
 * is never deleted (invariant 1): the listing is read just before deleting. The deletion countdown
 * files are left as they are: a sync keeps only entries for files it still finds unlisted.
 * Older metadata generations may list what it deletes, so before its first deletion it ends their
 * retention: only the current generation stays addressable.
 */
export async function cleanStep(run: SyncRun, options: { dryRun: boolean }): Promise<CleanReport> {
  const started = Date.now();
  const plan = await planStep(run);
  const files: CleanFile[] = [];
  const keptListed: CleanFile[] = [];
  let keptUnpublished = 0;
  let olderGenerationsDropped = false;
  for (const subdir of plan.subdirs) {
    const prefix = `${run.channelPrefix}${subdir.subdir}/`;
    const doomed: CleanFile[] = [];
    const dropped = new Map(subdir.removals.map((r) => [r.filename, r.size]));
    const toDownload = new Set(subdir.downloads);
    const stored = [...subdir.records.keys()].filter((filename) => !toDownload.has(filename));
    // Read just before deleting: a file a client may be sent to must stay (invariant 1).
    const listed = await listedByRepodata(
      run.store,
      prefix,
      subdir.subdir,
      new Set([...dropped.keys(), ...stored]),
    );
    for (const filename of await listedByShards(run.store, prefix, subdir.subdir, new Set(dropped.keys())))
      listed.add(filename);
    for (const filename of stored) if (!listed.has(filename)) keptUnpublished++;
    for (const [filename, size] of dropped) {
      const file: CleanFile = { subdir: subdir.subdir, filename, kind: 'package', size };
      (listed.has(filename) ? keptListed : doomed).push(file);
    }
    const referenced = await referencedShards(run.store, prefix, subdir.subdir);
    for await (const object of run.store.list(`${prefix}${SHARDS_FOLDER}`, { sha256: false })) {
      const filename = object.key.slice(prefix.length);
      if (filename.endsWith(SHARD_FILE_SUFFIX) && !referenced.has(filename))
        doomed.push({ subdir: subdir.subdir, filename, kind: 'shard', size: object.size });
    }
    if (!options.dryRun) {
      if (doomed.length > 0 && !olderGenerationsDropped) {
        const dropped = await dropOlderGenerations(run);
        if (dropped.length > 0) run.logger.info({ dropped }, 'clean ended the older metadata generations');
        olderGenerationsDropped = true;
      }
      for (const file of doomed) {
        run.signal?.throwIfAborted();
        await run.store.delete(`${prefix}${file.filename}`);
      }
    }
    files.push(...doomed);
  }
  for (const installer of await cleanInstallers(run, options)) {
    const { dir, filename, size } = installer;
    files.push({ subdir: `${DOWNLOADS_FOLDER}/${dir}`, filename, kind: 'installer', size });
  }
  if (!options.dryRun && files.length > 0)
    run.logger.info({ deleted: files.length }, 'clean deleted unselected files');
  return {
    dryRun: options.dryRun,
    files,
    bytes: files.reduce((total, file) => total + file.size, 0),
    keptListed,
    keptUnpublished,
    seconds: (Date.now() - started) / 1000,
  };
}
