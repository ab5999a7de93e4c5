import { parseRepodata } from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../logger.ts';
import type { PlannedRecord } from './plan.ts';

/**
 * Filenames that the subdir's published repodata.json lists with other content than the new
 * records say: upstream replaced the file under the same name (a repack), so the stored copy is
 * stale even when its size matches. Store listings give sizes only (S3's never carry a sha256),
 * so this comparison with what we last published is what catches such a replacement. Records are
 * compared by sha256, or by md5 when either lacks one. Streams the document record by record and
 * keeps only the differing names. A missing or unreadable published repodata.json changes nothing.
 */
export async function replacedSincePublished(
  store: ObjectStore,
  subdirPrefix: string,
  subdir: string,
  records: ReadonlyMap<string, PlannedRecord>,
  logger: Logger,
): Promise<Set<string>> {
  const replaced = new Set<string>();
  const published = await store.get(`${subdirPrefix}repodata.json`);
  if (published === null) return replaced;
  try {
    for await (const entry of parseRepodata(published.body, { subdir, onInvalidRecord: () => {} })) {
      const now = records.get(entry.filename)?.record;
      if (now === undefined) continue;
      const before = entry.record;
      const differs =
        now.sha256 !== undefined && before.sha256 !== undefined
          ? now.sha256 !== before.sha256
          : now.md5 !== undefined && before.md5 !== undefined && now.md5 !== before.md5;
      if (differs) replaced.add(entry.filename);
    }
  } catch (error) {
    published.body.destroy();
    logger.warn(
      { subdir, err: error },
      'published repodata.json is unreadable; stored files are checked by size only',
    );
    return new Set();
  }
  return replaced;
}
