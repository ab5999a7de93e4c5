import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decompressBzip2 } from '@condasync/codecs';
import { FsObjectStore } from '@condasync/storage';
import { silentLogger } from '../../src/logger.ts';
import { METADATA_CACHE_CONTROL } from '../../src/steps/finalize/publish.ts';
import { finalizeSubdir } from '../../src/steps/finalize.ts';
import { scratch, syncInto, testConfig, testRecipes } from '../sync-helpers.ts';
import { exists, publishedFileStamps, testRecipesEntries } from './finalize-helpers.ts';

async function bunzip(path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of decompressBzip2(createReadStream(path))) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('finalize: repodata.json.bz2', () => {
  test('written before repodata.json, the same bytes, only when missing or changed; removed when off', async () => {
    const { dir, cleanup } = await scratch('finalize-bz2');
    const store = new FsObjectStore({ root: join(dir, 'store') });
    try {
      const records = await testRecipesEntries();
      const json = join(dir, 'store', 'chan', 'noarch', 'repodata.json');
      const bz2 = `${json}.bz2`;
      const tempDir = join(dir, 'tmp');
      const ctx = { store, channelPrefix: 'chan/', tempDir, logger: silentLogger };
      const input = {
        subdir: 'noarch',
        info: { subdir: 'noarch' },
        removed: [],
        records,
        zstdLevel: 3,
        shards: false,
        repodataBz2: true,
      };

      const first = await finalizeSubdir(input, ctx);
      assert.deepEqual(first.written, ['repodata.json.bz2', 'repodata.json.zst', 'repodata.json']);
      const bytes = await readFile(bz2);
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'BZh9', 'a bzip2 stream with 900 kB blocks');
      assert.deepEqual(await bunzip(bz2), await readFile(json));
      const info = await store.head('chan/noarch/repodata.json.bz2');
      assert.equal(info?.contentType, 'application/x-bzip2');
      assert.equal(info?.cacheControl, METADATA_CACHE_CONTROL);
      assert.deepEqual(await readdir(tempDir), [], 'scratch files (the .bz2 too) are removed');

      // Nothing changed: not even the slow .bz2 is rebuilt.
      const stamps = await publishedFileStamps(join(dir, 'store'));
      const again = await finalizeSubdir(input, ctx);
      assert.deepEqual(again.written, []);
      assert.equal(again.changed, false);
      assert.deepEqual(await publishedFileStamps(join(dir, 'store')), stamps);
      assert.equal((await store.head('chan/noarch/repodata.json.bz2'))?.etag, info?.etag);

      // repodata.json unchanged but the .bz2 missing: only the .bz2 is written.
      await store.delete('chan/noarch/repodata.json.bz2');
      const repaired = await finalizeSubdir(input, ctx);
      assert.deepEqual(repaired.written, ['repodata.json.bz2']);
      assert.equal(repaired.changed, false);
      assert.deepEqual(await readFile(bz2), bytes);

      // A caller that does not know the flag (an import) keeps a published .bz2 in step with the JSON...
      const fewer = records.slice(1);
      const followed = await finalizeSubdir({ ...input, records: fewer, repodataBz2: undefined }, ctx);
      assert.deepEqual(followed.written, ['repodata.json.bz2', 'repodata.json.zst', 'repodata.json']);
      assert.equal(followed.records, records.length - 1);
      assert.deepEqual(await bunzip(bz2), await readFile(json));
      // ...but never creates one.
      await store.delete('chan/noarch/repodata.json.bz2');
      const without = await finalizeSubdir({ ...input, repodataBz2: undefined }, ctx);
      assert.deepEqual(without.written, ['repodata.json.zst', 'repodata.json']);
      assert.equal(await exists(bz2), false);

      // Off: a published one is removed after repodata.json; nothing else goes.
      await finalizeSubdir(input, ctx);
      assert.equal(await exists(bz2), true);
      const off = await finalizeSubdir({ ...input, repodataBz2: false }, ctx);
      assert.deepEqual(off.written, []);
      assert.deepEqual(off.removedOutputs, ['repodata.json.bz2']);
      assert.equal(await exists(bz2), false);
      assert.equal(await exists(json), true);
      assert.equal(await exists(`${json}.zst`), true);
      assert.deepEqual((await finalizeSubdir({ ...input, repodataBz2: false }, ctx)).removedOutputs, []);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  test('a sync: off by default; on publishes it and a re-run leaves it alone; off again removes it', async () => {
    const { dir, cleanup } = await scratch('bz2-sync');
    try {
      const mirror = join(dir, 'mirror');
      const base = { channels: [`file://${testRecipes}`], platforms: [], mirror_dir: mirror };
      const json = join(mirror, 'noarch', 'repodata.json');
      const bz2 = `${json}.bz2`;
      await syncInto(mirror, join(dir, 'work'), testConfig(base));
      assert.equal(await exists(bz2), false);

      await syncInto(mirror, join(dir, 'work'), testConfig({ ...base, repodata_bz2: true }));
      assert.deepEqual(await bunzip(bz2), await readFile(json));
      const stamps = await publishedFileStamps(mirror);
      await syncInto(mirror, join(dir, 'work'), testConfig({ ...base, repodata_bz2: true }));
      assert.equal(
        (await publishedFileStamps(mirror)).get('noarch/repodata.json.bz2'),
        stamps.get('noarch/repodata.json.bz2'),
      );

      await syncInto(mirror, join(dir, 'work'), testConfig({ ...base, repodata_bz2: false }));
      assert.equal(await exists(bz2), false);
      assert.equal(await exists(json), true);
    } finally {
      await cleanup();
    }
  });
});
