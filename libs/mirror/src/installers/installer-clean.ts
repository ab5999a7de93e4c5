import type { SyncRun } from '../steps/sync-run.ts';
import {
  DOWNLOADS_FOLDER,
  installerListingKey,
  readInstallerListing,
  writeInstallerListing,
} from './installer-layout.ts';
import { fetchInstallerIndex } from './installers-step.ts';

/** One stored installer the config no longer selects or upstream's page no longer lists. */
export interface UnselectedInstaller {
  dir: string;
  filename: string;
  size: number;
}

/**
 * The installers `condasync clean` frees at once instead of after the grace period: files in a
 * folder `dir_names` no longer names, and files upstream's page no longer lists. Only a config
 * with `fetch_installers: true` speaks for the store's `downloads/` (a channel config without it
 * leaves another config's installers alone). An unreadable page fails the clean rather than
 * reading as an empty folder. The folder's listing is rewritten without what was deleted, so it
 * never names a missing file.
 */
export async function cleanInstallers(
  run: SyncRun,
  options: { dryRun: boolean },
): Promise<UnselectedInstaller[]> {
  if (!run.config.fetch_installers) return [];
  const stored = new Map<string, Array<{ filename: string; size: number }>>();
  const root = `${DOWNLOADS_FOLDER}/`;
  for await (const object of run.store.list(root, { sha256: false })) {
    const [dir, filename, ...rest] = object.key.slice(root.length).split('/');
    if (dir === undefined || filename === undefined || rest.length > 0) continue;
    const files = stored.get(dir) ?? [];
    files.push({ filename, size: object.size });
    stored.set(dir, files);
  }
  const unselected: UnselectedInstaller[] = [];
  for (const [dir, files] of stored) {
    const selected = run.config.dir_names.includes(dir)
      ? new Set((await fetchInstallerIndex(run, dir)).entries.map((entry) => entry.filename))
      : new Set<string>();
    const doomed = files.filter((file) => !selected.has(file.filename));
    unselected.push(...doomed.map((file) => ({ dir, ...file })));
    if (options.dryRun || doomed.length === 0) continue;
    const gone = new Set(doomed.map((file) => file.filename));
    const listing = await readInstallerListing(run.store, dir);
    if (selected.size === 0) await run.store.delete(installerListingKey(dir));
    else if (listing !== null)
      await writeInstallerListing(run.store, {
        dir,
        files: listing.files.filter((file) => !gone.has(file.filename)),
      });
    for (const file of doomed) {
      run.signal?.throwIfAborted();
      await run.store.delete(`${root}${dir}/${file.filename}`);
    }
  }
  return unselected;
}
