import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDurable } from './fs-durability.ts';
import { sidecarPath } from './fs-meta.ts';
import { renameIntoPlace } from './fs-paths.ts';

/** A pending sidecar whose object changed this close to (or after) it was written may be torn. */
const CLOCK_SLACK_MS = 2_000;

async function* walkFiles(directory: string, relative = ''): AsyncGenerator<string> {
  const entries = await readdir(join(directory, relative), { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const key = `${relative}${entry.name}`;
    if (entry.isDirectory()) yield* walkFiles(directory, `${key}/`);
    else if (entry.isFile()) yield key;
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What recovery needs of a pending sidecar (fs-meta.ts writes it), or undefined when it is torn. */
function parsePending(text: string): { sha256: string; size: number; ino: string } | undefined {
  try {
    const record = JSON.parse(text) as { sha256?: unknown; size?: unknown; ino?: unknown };
    const whole =
      typeof record.sha256 === 'string' && typeof record.size === 'number' && typeof record.ino === 'string';
    return whole ? (record as { sha256: string; size: number; ino: string }) : undefined;
  } catch {
    return undefined;
  }
}

export interface RecoveryFolders {
  root: string;
  pendingDirectory: string;
  metaDirectory: string;
}

/**
 * Settles what a store that died between a put and its barrier left in `pending/` (docs/design.md
 * §5, invariant 2): each object still described by its pending sidecar is re-hashed; if the bytes
 * are right, the sidecar is promoted to `meta/` after one sync of the filesystem, and if not (a
 * power cut tore it) the object is deleted, so the next sync fetches it again (plan sees it
 * missing). A torn pending sidecar says nothing: its object is deleted when it changed after the
 * sidecar was written (its put reached the rename), left alone otherwise. Returns what it did.
 */
export async function recoverPendingObjects(
  folders: RecoveryFolders,
): Promise<{ trusted: number; deleted: number; dropped: number }> {
  const promote: string[] = [];
  let deleted = 0;
  let dropped = 0;
  for await (const key of walkFiles(folders.pendingDirectory)) {
    const pendingPath = sidecarPath(folders.pendingDirectory, key);
    const objectPath = join(folders.root, key);
    const [pending, object, text] = await Promise.all([
      stat(pendingPath).catch(() => undefined),
      stat(objectPath, { bigint: true }).catch(() => undefined),
      readFile(pendingPath, 'utf8').catch(() => ''),
    ]);
    if (pending === undefined) continue;
    const record = parsePending(text);
    let verdict: 'trust' | 'delete' | 'drop';
    if (object === undefined || !object.isFile()) verdict = 'drop';
    else if (record === undefined) {
      const changedAfter = Number(object.ctimeMs) >= pending.mtimeMs - CLOCK_SLACK_MS;
      verdict = changedAfter ? 'delete' : 'drop';
    } else if (record.ino !== object.ino.toString() || record.size !== Number(object.size)) {
      verdict = 'drop'; // another object now: the put never got to its rename
    } else {
      // Inode and size, not mtime: bytes torn by a power cut need not keep the mtime recorded.
      verdict = (await sha256OfFile(objectPath)) === record.sha256 ? 'trust' : 'delete';
    }
    if (verdict === 'trust') {
      promote.push(key);
      continue;
    }
    if (verdict === 'delete') {
      await unlink(objectPath).catch(() => {});
      deleted++;
    } else dropped++;
    await unlink(pendingPath).catch(() => {});
  }
  if (promote.length > 0) {
    // The re-hashed bytes may still be only in the page cache (a killed process, not a power cut).
    await makeDurable(
      folders.root,
      promote.map((key) => join(folders.root, key)),
    );
    for (const key of promote) {
      await renameIntoPlace(
        sidecarPath(folders.pendingDirectory, key),
        sidecarPath(folders.metaDirectory, key),
        key,
      ).catch(() => {});
    }
  }
  return { trusted: promote.length, deleted, dropped };
}
