import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FsObjectStore, type ObjectStore } from '@condasync/storage';
import { createTestBucket, testS3Store } from '../../../test/support/s3-bucket.ts';
import { copyChannel, readJson, scratch, syncInto, testConfig, testRecipes } from './sync-helpers.ts';

const REPACKED = 'dependency-1.0-0.conda';

const digest = (algorithm: string, bytes: Uint8Array): string =>
  createHash(algorithm).update(bytes).digest('hex');

async function storedSha256(store: ObjectStore, key: string): Promise<string> {
  const object = await store.get(key);
  assert.ok(object, `${key} is stored`);
  const hash = createHash('sha256');
  for await (const chunk of object.body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// Upstream replaced a file under the same name with one of the same size (a repack): the store's
// listing shows a file of the right size, so only the comparison with the published repodata
// tells it is stale. S3 listings carry no sha256 at all, so both backends must get this right.
describe('a package replaced upstream under the same name and size', () => {
  for (const backend of ['filesystem', 's3'] as const) {
    test(`is fetched again (${backend} store)`, async () => {
      const { dir, cleanup } = await scratch('replaced');
      const bucket = backend === 's3' ? (await createTestBucket('replaced')).bucket : '';
      const openStore = (): ObjectStore =>
        backend === 'filesystem' ? new FsObjectStore({ root: join(dir, 'mirror') }) : testS3Store(bucket);
      try {
        const upstream = await copyChannel(testRecipes, dir);
        const config = testConfig({
          channels: [`file://${upstream}`],
          platforms: [],
          mirror_dir: join(dir, 'mirror'),
          pkg_list: ['dependency'],
        });
        const sync = () => syncInto(join(dir, 'mirror'), join(dir, 'work'), config, { store: openStore() });
        const downloaded = (report: Awaited<ReturnType<typeof sync>>) =>
          report.subdirs.reduce((sum, subdir) => sum + subdir.downloaded, 0);

        assert.equal(downloaded(await sync()), 2);

        const file = join(upstream, 'noarch', REPACKED);
        const bytes = await readFile(file);
        bytes[bytes.length - 1]! ^= 0xff;
        await writeFile(file, bytes);
        const repodataPath = join(upstream, 'noarch', 'repodata.json');
        const repodata = await readJson(repodataPath);
        const record = (repodata['packages.conda'] as Record<string, Record<string, unknown>>)[REPACKED]!;
        record['sha256'] = digest('sha256', bytes);
        record['md5'] = digest('md5', bytes);
        await writeFile(repodataPath, JSON.stringify(repodata));

        const second = await sync();
        assert.deepEqual(second.failures, []);
        assert.equal(downloaded(second), 1, 'only the replaced file is fetched again');
        const store = openStore();
        try {
          assert.equal(await storedSha256(store, `noarch/${REPACKED}`), digest('sha256', bytes));
          const published = await store.get('noarch/repodata.json');
          const text = Buffer.concat(await published!.body.toArray()).toString('utf8');
          const records = JSON.parse(text)['packages.conda'] as Record<string, { sha256: string }>;
          assert.equal(records[REPACKED]!.sha256, digest('sha256', bytes), 'published with its new record');
        } finally {
          await store.close();
        }
        assert.equal(downloaded(await sync()), 0, 'and then it is current');
      } finally {
        await cleanup();
      }
    });
  }
});
