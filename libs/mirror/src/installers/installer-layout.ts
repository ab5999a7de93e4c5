import { createHash } from 'node:crypto';
import type { ObjectStore } from '@condasync/storage';

/*
 * Where mirrored installer folders live in the store (docs/design.md §4): beside the channels, at
 * the store's root, since they belong to `remote_url` rather than to any one channel.
 */

/** `downloads/<dir>/<file>`: the installer itself, served at `/downloads/<dir>/<file>`. */
export const DOWNLOADS_FOLDER = 'downloads';

export const installerKey = (dir: string, filename: string): string =>
  `${DOWNLOADS_FOLDER}/${dir}/${filename}`;

/** The folder's listing: what the last sync stored and verified, in the page's order. Internal. */
export const installerListingKey = (dir: string): string => `.condasync/installers/${dir}/listing.json`;

/** One stored, verified installer, as the served listing shows it. */
export interface ListedInstaller {
  filename: string;
  size: number;
  sha256: string;
  md5?: string;
  /** As upstream's page printed it. */
  lastModified: string | null;
}

/** What `/downloads/<dir>/` renders; written by the installers step after the files are in. */
export interface InstallerListing {
  dir: string;
  files: ListedInstaller[];
}

/** The folder's listing, or null when none was written; `root` is where the installers' keys start. */
export async function readInstallerListing(
  store: ObjectStore,
  dir: string,
  root = '',
): Promise<InstallerListing | null> {
  const object = await store.get(`${root}${installerListingKey(dir)}`);
  if (object === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as InstallerListing;
    return Array.isArray(parsed.files) ? parsed : null;
  } catch {
    return null;
  }
}

/** Replaces the listing, only when its bytes change (so its ETag holds across no-op syncs). */
export async function writeInstallerListing(store: ObjectStore, listing: InstallerListing): Promise<boolean> {
  const body = Buffer.from(`${JSON.stringify(listing, null, 1)}\n`);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const key = installerListingKey(listing.dir);
  const current = await store.head(key);
  if (current?.sha256 === sha256) return false;
  await store.put(key, body, { size: body.byteLength, sha256, contentType: 'application/json' });
  return true;
}
