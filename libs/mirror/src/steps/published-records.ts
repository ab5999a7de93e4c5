import { type PackageRecordJson, scanRepodataRecords } from '@condasync/conda';
import type { ObjectStore } from '@condasync/storage';
import type { Logger } from '../logger.ts';
import type { PlannedRecord } from './planned-record.ts';

/**
 * Filenames that the subdir's published repodata.json lists with other content than the new
 * records say: upstream replaced the file under the same name (a repack), so the stored copy is
 * stale even when its size matches. Store listings give sizes only (S3's never carry a sha256),
 * so this comparison with what we last published is what catches such a replacement. Records are
 * compared by sha256, or by md5 when either lacks one. Streams the document record by record and
 * keeps only the differing names; a record published exactly as it is planned now (the same
 * canonical JSON, the usual case) is not even parsed. A missing or unreadable published
 * repodata.json changes nothing.
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
    for await (const { filename, text } of scanRepodataRecords(published.body)) {
      const now = records.get(filename);
      if (now === undefined || text === now.json) continue;
      const before = JSON.parse(text) as Partial<PackageRecordJson> | null;
      const sha256 = typeof before?.sha256 === 'string' ? before.sha256 : undefined;
      const md5 = typeof before?.md5 === 'string' ? before.md5 : undefined;
      const differs =
        now.sha256 !== undefined && sha256 !== undefined
          ? now.sha256 !== sha256
          : now.md5 !== undefined && md5 !== undefined && now.md5 !== md5;
      if (differs) replaced.add(filename);
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
