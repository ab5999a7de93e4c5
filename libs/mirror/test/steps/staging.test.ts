import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { PackageRecordJson } from '@condasync/conda';
import { FsObjectStore } from '@condasync/storage';
import { PlannedRecord, type SubdirPlan } from '../../src/steps/plan.ts';
import {
  readStagedDownloads,
  readStagedEntries,
  readStagedMeta,
  stageSubdirPlan,
} from '../../src/steps/staging.ts';
import { channelSource } from '../../src/upstream/channel-source.ts';
import { scratch } from '../sync-helpers.ts';
import { testRecipesEntries } from './finalize-helpers.ts';

/** A plan of `count` records (conda's test-recipes ones, renamed), about 0.6 kB each. */
async function planOf(count: number): Promise<SubdirPlan> {
  const entries = await testRecipesEntries();
  const channel = channelSource('https://conda.example.org/recipes');
  const records = new Map<string, PlannedRecord>();
  for (let i = 0; i < count; i++) {
    const [, record] = entries[i % entries.length]!;
    const renamed: PackageRecordJson = { ...record, name: `pkg${i}`, build: `b${i}_0` };
    records.set(`pkg${i}-${record.version}-b${i}_0.conda`, new PlannedRecord(renamed, channel, i % 2));
  }
  return {
    subdir: 'noarch',
    info: { subdir: 'noarch' },
    removed: [],
    records,
    downloads: [...records.keys()].slice(0, 3),
    downloadBytes: 0,
    present: count - 3,
    removals: [],
    runExports: null,
  };
}

describe('stageSubdirPlan', () => {
  test('stages every record in order, across 1 MB chunks, and the metadata beside them', async () => {
    const { dir, cleanup } = await scratch('staging');
    const store = new FsObjectStore({ root: join(dir, 'store') });
    try {
      const plan = await planOf(3000); // ~1.8 MB of lines: two chunks
      const expected = [...plan.records].map(([filename, { record, channelIndex }]) => ({
        filename,
        channelIndex,
        record,
      }));
      await stageSubdirPlan('sync-1', plan, { store, tempDir: join(dir, 'tmp') });
      assert.equal(plan.records.size, 3000, 'records are kept unless asked to release them');
      const staged = [];
      for await (const entry of readStagedEntries(store, 'sync-1', 'noarch')) staged.push(entry);
      assert.deepEqual(staged, expected);
      assert.deepEqual((await readStagedMeta(store, 'sync-1', 'noarch')).downloads, plan.downloads);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  test('releaseRecords empties plan.records as it stages, staging the same lines', async () => {
    const { dir, cleanup } = await scratch('staging-release');
    const store = new FsObjectStore({ root: join(dir, 'store') });
    try {
      const kept = await planOf(50);
      const released = await planOf(50);
      await stageSubdirPlan('kept', kept, { store, tempDir: join(dir, 'tmp') });
      await stageSubdirPlan('released', released, { store, tempDir: join(dir, 'tmp'), releaseRecords: true });
      assert.equal(released.records.size, 0);
      const lines = async (syncId: string) => {
        const all = [];
        for await (const entry of readStagedEntries(store, syncId, 'noarch')) all.push(entry);
        return all;
      };
      assert.deepEqual(await lines('released'), await lines('kept'));
    } finally {
      await store.close();
      await cleanup();
    }
  });

  test('the files to download read back from their compact list, and without it from the records', async () => {
    const { dir, cleanup } = await scratch('staging-downloads');
    const store = new FsObjectStore({ root: join(dir, 'store') });
    try {
      const plan = await planOf(50);
      const expected = plan.downloads.map((filename) => {
        const { channelIndex, size, sha256, md5 } = plan.records.get(filename)!;
        return { subdir: 'noarch', filename, channelIndex, size, sha256, md5 };
      });
      await stageSubdirPlan('sync-1', plan, { store, tempDir: join(dir, 'tmp'), releaseRecords: true });
      const read = async () => {
        const all = [];
        for await (const planned of readStagedDownloads(store, 'sync-1', 'noarch')) all.push(planned);
        return all;
      };
      assert.deepEqual(await read(), expected);
      // A plan staged before the compact list existed: the same files, from the records.
      await store.delete('.condasync/staging/sync-1/noarch.downloads');
      assert.deepEqual(await read(), expected);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
